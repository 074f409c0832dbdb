"""FEMNIST, Shakespeare and Fed-CIFAR100 in TensorFlow Federated's HDF5 layout (read with h5py).

A file holds ``examples/<client id>/<field>``; clients are the natural ones (one writer for
FEMNIST, one speaking role for Shakespeare, one LDA-drawn client for Fed-CIFAR100), taken in
sorted id order; ``--num-clients N`` keeps the first N (0 = all). The test file's clients are
pooled into one test split. Files, under ``--data-path``:

- ``femnist/fed_emnist_{train,test}.h5``: ``pixels`` (28x28 float, 1 = white) and ``label``
  (62 classes); images become ``1 - pixels`` in shape (1, 28, 28).
- ``shakespeare/shakespeare_{train,test}.h5``: ``snippets`` (byte strings). Characters map to
  the original tool's 86-character vocabulary (ids 1..86; 0 = padding, 87 = out of vocabulary,
  88 = begin, 89 = end of snippet); every snippet becomes rows of 80 input ids and the 80 next
  ids as targets, padded at the end (padding targets are -100: ignored by the loss and metrics).
- ``cifar100_fl/fed_cifar100_{train,test}.h5``: ``image`` (32x32x3 uint8) and ``label``
  (100 classes), normalized like CIFAR.

The natural datasets are read lazily (``data/tff_lazy.py``): checked and counted at load, a
client's samples decoded when first used and kept in a bounded cache, so full FEMNIST (3,400
writers, 2.1 GB of pixels) needs no more memory than the clients in use. ``emnist`` and
``full_shakespeare`` are the same data pooled into a centralized dataset (the original tool's
single-client runs; ``--num-clients``/``--partition`` split them like any other), held in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .centralized import federate, partition_of, ranges, warn_unused_spec
from .cifar import _images
from .download import ensure, extract, fetch
from .federated import FederatedDataset
from .registry import register_dataset
from .tff_lazy import lazy_clients

SEQ_LEN = 80
VOCAB = list("dhlptx@DHLPTX $(,048cgkoswCGKOSW[_#'/37;?bfjnrvzBFJNRVZ\"&*.26:\naeimquyAEIMQUY]!%)"
             "-159\r")
PAD, OOV, BOS, EOS = 0, len(VOCAB) + 1, len(VOCAB) + 2, len(VOCAB) + 3
VOCAB_SIZE = len(VOCAB) + 4
IGNORE = -100
_TABLE = np.full(256, OOV, dtype=np.int64)
_TABLE[[ord(c) for c in VOCAB]] = np.arange(1, len(VOCAB) + 1)


def encode_snippet(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Input rows and target rows (each SEQ_LEN wide) of one snippet: BOS text EOS, padded."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    ids = np.concatenate([[BOS], _TABLE[np.minimum(codes, 255)], [EOS]])
    rows = -(-(len(ids) - 1) // SEQ_LEN)
    seq = np.full(rows * SEQ_LEN + 1, PAD, dtype=np.int64)
    seq[:len(ids)] = ids
    target = seq[1:].copy()
    target[len(ids) - 1:] = IGNORE
    return seq[:-1].reshape(rows, SEQ_LEN), target.reshape(rows, SEQ_LEN)


def _bad_file(group: Any, what: str) -> ConfigError:
    return ConfigError(f"--data-path: {group.file.filename}: {group.name} {what} (TFF's layout: "
                       "examples/<client id>/<fields>, see docs/datasets.md)")


def _field(group: Any, name: str, tail: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``group[name]`` as an array of shape ``(n, *tail)`` and ``dtype`` (ConfigError if not)."""
    import h5py
    item = group.get(name) if isinstance(group, h5py.Group) else None
    if not isinstance(item, h5py.Dataset):
        raise _bad_file(group, f"has no dataset {name!r}")
    try:
        array = np.asarray(item[()], dtype=dtype)
    except (TypeError, ValueError, OSError) as e:
        raise _bad_file(group, f"{name!r} does not hold {np.dtype(dtype).name} data ({e})") \
            from None
    if array.ndim != 1 + len(tail) or array.shape[1:] != tail:
        raise _bad_file(group, f"{name!r} has shape {array.shape}; expected (n, "
                        f"{', '.join(map(str, tail))})".replace(", )", ")"))
    return array


def _labels(group: Any, count: int, classes: int) -> torch.Tensor:
    labels = _field(group, "label", (), np.int64)
    if len(labels) != count or (count and not 0 <= labels.min() <= labels.max() < classes):
        raise _bad_file(group, f"needs {count} labels in 0..{classes - 1} (one per sample)")
    return torch.from_numpy(labels)


def _femnist(group: Any) -> tuple[torch.Tensor, torch.Tensor]:
    pixels = torch.from_numpy(_field(group, "pixels", (28, 28), np.float32))
    return (1.0 - pixels).unsqueeze(1), _labels(group, len(pixels), 62)


def _shakespeare(group: Any) -> tuple[torch.Tensor, torch.Tensor]:
    snippets = _field(group, "snippets", (), object)
    if not all(isinstance(s, bytes) for s in snippets):
        raise _bad_file(group, "'snippets' must hold byte strings")
    rows = [encode_snippet(s.decode("utf-8", errors="replace")) for s in snippets]
    if not rows:
        return torch.zeros(0, SEQ_LEN, dtype=torch.long), torch.zeros(0, SEQ_LEN, dtype=torch.long)
    return (torch.from_numpy(np.concatenate([r[0] for r in rows])),
            torch.from_numpy(np.concatenate([r[1] for r in rows])))


def _cifar100(group: Any) -> tuple[torch.Tensor, torch.Tensor]:
    images = _field(group, "image", (32, 32, 3), np.uint8)
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return _images(rows), _labels(group, len(images), 100)


def _described(group: Any, name: str, tail: tuple[int, ...]) -> int:
    """The sample count of numeric field ``name`` of shape ``(n, *tail)``, from its metadata."""
    import h5py
    item = group.get(name) if isinstance(group, h5py.Group) else None
    if not isinstance(item, h5py.Dataset):
        raise _bad_file(group, f"has no dataset {name!r}")
    if item.dtype.kind not in "fiub":
        raise _bad_file(group, f"{name!r} does not hold numbers (dtype {item.dtype})")
    if item.ndim != 1 + len(tail) or item.shape[1:] != tail:
        raise _bad_file(group, f"{name!r} has shape {item.shape}; expected (n, "
                        f"{', '.join(map(str, tail))})".replace(", )", ")"))
    return item.shape[0]


def _count_images(field: str, tail: tuple[int, ...], classes: int) -> Callable[[Any], int]:
    """Samples of an image client, checked without reading the images (labels are read)."""
    def count(group: Any) -> int:
        n = _described(group, field, tail)
        _labels(group, n, classes)
        return n
    return count


def _count_rows(group: Any) -> int:
    """Rows of a Shakespeare client (its snippets are read: they are small)."""
    return len(_shakespeare(group)[0])


@dataclass(frozen=True)
class TffLayout:
    """Files, URL and record decoding of one TFF dataset."""

    folder: str
    prefix: str
    archive: str
    decode: Callable[[Any], tuple[torch.Tensor, torch.Tensor]]
    task: str
    output_dim: int
    #: a client's sample count, from the file's metadata (checked as decode would)
    count: Callable[[Any], int]
    sample_shape: tuple[int, ...]
    dtypes: tuple[torch.dtype, torch.dtype]


FEMNIST = TffLayout("femnist", "fed_emnist", "fed_emnist.tar.bz2", _femnist, "classification", 62,
                    _count_images("pixels", (28, 28), 62), (1, 28, 28),
                    (torch.float32, torch.int64))
SHAKESPEARE = TffLayout("shakespeare", "shakespeare", "shakespeare.tar.bz2", _shakespeare,
                        "next_token", VOCAB_SIZE, _count_rows, (SEQ_LEN,),
                        (torch.int64, torch.int64))
CIFAR100_FL = TffLayout("cifar100_fl", "fed_cifar100", "fed_cifar100.tar.bz2", _cifar100,
                        "classification", 100, _count_images("image", (32, 32, 3), 100),
                        (3, 32, 32), (torch.float32, torch.int64))
URL = "https://storage.googleapis.com/tff-datasets-public/"


def read_clients(path: Path, decode: Callable, limit: int = 0
                 ) -> tuple[list[str], list[tuple[torch.Tensor, torch.Tensor]]]:
    """Client ids (sorted; the first ``limit`` when > 0) and each client's decoded data."""
    import h5py

    from ..utils.files import regular_file_size
    regular_file_size("--data-path", path)
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ConfigError(f"--data-path: {path} is not a readable HDF5 file ({e})") from None
    with f:
        examples = f.get("examples")
        if not isinstance(examples, h5py.Group):
            raise _bad_file(f, "has no group 'examples'")
        ids = sorted(examples.keys())
        ids = ids[:limit] if limit else ids
        return ids, [decode(examples[c]) for c in ids]


def tff_files(layout: TffLayout, config: Any, name: str) -> tuple[Path, Path]:
    """The train and test files of one TFF dataset (downloaded when missing and allowed)."""
    from .optional import require
    require("h5py", "h5py", name)
    root = Path(config.data_path)
    folder = root / layout.folder
    train, test = (folder / f"{layout.prefix}_{s}.h5" for s in ("train", "test"))

    def download() -> None:
        extract(fetch(URL + layout.archive, folder / layout.archive), folder)

    ensure(name, root, [train, test], f"get {URL}{layout.archive} and unpack it into {folder}, "
           "or run once online without --offline", download, config.offline)
    return train, test


def read_tff(layout: TffLayout, config: Any, name: str, limit: int
             ) -> tuple[list[str], list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor,
                        torch.Tensor]:
    """Train clients (ids and data, decoded) and the pooled test split of one TFF dataset."""
    train, test = tff_files(layout, config, name)
    ids, clients = read_clients(train, layout.decode, limit)
    _, test_parts = read_clients(test, layout.decode)
    return (ids, clients, torch.cat([p[0] for p in test_parts]),
            torch.cat([p[1] for p in test_parts]))


def _info(layout: TffLayout) -> dict[str, Any]:
    if layout.task != "next_token":
        return {"num_classes": layout.output_dim}
    return {"vocabulary": "".join(VOCAB), "vocab_size": VOCAB_SIZE, "pad": PAD, "oov": OOV,
            "bos": BOS, "eos": EOS, "seq_len": SEQ_LEN}


def _natural(name: str, layout: TffLayout):
    def load(config: Any) -> FederatedDataset:
        warn_unused_spec(name, config)
        spec = partition_of(config)
        if spec != "iid":
            raise ConfigError(f"--partition: invalid value {spec!r}; dataset {name!r} has its "
                              f"natural clients (use {name!r}'s pooled variant or a centralized "
                              "dataset to re-partition)")
        train, test = tff_files(layout, config, name)
        ids, x, y = lazy_clients(train, layout, config.num_clients, keep_empty=False)
        _, tx, ty = lazy_clients(test, layout)
        info = {"partition": "natural", "client_ids": ids, "task": layout.task,
                "test_samples": len(ty), "lazy": True, **_info(layout)}
        return FederatedDataset(name=name, x=x, y=y, client_indices=ranges(x.sizes),
                                input_shape=layout.sample_shape, output_dim=layout.output_dim,
                                task=layout.task, test_x=tx, test_y=ty, info=info)
    load.__doc__ = f"Loader for --dataset {name} (natural TFF clients, read lazily)."
    return load


def _pooled(name: str, layout: TffLayout):
    def load(config: Any) -> FederatedDataset:
        _, clients, tx, ty = read_tff(layout, config, name, 0)
        return federate(name, config, torch.cat([c[0] for c in clients]),
                        torch.cat([c[1] for c in clients]), task=layout.task,
                        output_dim=layout.output_dim, default_clients=1, test_x=tx, test_y=ty,
                        info=_info(layout))
    load.__doc__ = f"Loader for --dataset {name} (TFF clients pooled, then re-partitioned)."
    return load


for _name, _layout in [("femnist", FEMNIST), ("shakespeare", SHAKESPEARE),
                       ("cifar100_fl", CIFAR100_FL)]:
    register_dataset(_name)(_natural(_name, _layout))
register_dataset("emnist")(_pooled("emnist", FEMNIST))
register_dataset("full_shakespeare")(_pooled("full_shakespeare", SHAKESPEARE))
