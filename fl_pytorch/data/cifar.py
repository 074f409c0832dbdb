"""CIFAR-10 / CIFAR-100 in torchvision's on-disk layout (the "python version" of the archives).

``<data-path>/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` and
``<data-path>/cifar-100-python/{train, test, meta}``: pickled dicts with ``data`` (N x 3072
uint8, channel-major rows) and ``labels`` (``fine_labels`` for CIFAR-100). They are read with a
restricted, bounded unpickler that only rebuilds NumPy arrays, so a planted file cannot run code,
and their keys, shapes and labels are checked. Images
become float32 (N, 3, 32, 32), normalized per channel with the original tool's constants.

Names: ``cifar10``/``cifar100`` (the original tool's centralized runs: 1 client unless
``--num-clients``), ``cifar10_fl`` (10 clients), ``cifar10_fl_by_class`` (10 clients, sorted by
class: each client holds one class).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from ..utils.safe_pickle import (
    CORRUPT_PICKLE_ERRORS,
    PickleLimitError,
    UnsafePickleError,
    load_plain,
)
from .centralized import federate
from .download import ensure, extract, fetch
from .federated import FederatedDataset
from .registry import register_dataset

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
MAX_BATCH_BYTES = 1024**3  # CIFAR-100's train file, the largest, has 155 MB
#: besides NumPy's array helpers, what torchvision's files reference (bytes of Python 2 pickles)
_CODECS = {("_codecs", "encode"): lambda: codecs.encode}


def read_batch(path: Path) -> dict[str, Any]:
    """One CIFAR python batch file as a dict (str keys, like torchvision's latin1 loading).

    Read with the restricted, bounded unpickler (``utils/safe_pickle.py``): arrays and plain
    containers only, so a planted file can neither run code nor claim gigabytes.
    """
    from ..utils.files import read_bytes
    data = read_bytes("--data-path", path, MAX_BATCH_BYTES)
    try:
        batch = load_plain(data, _CODECS, encoding="latin1")
    except (UnsafePickleError, PickleLimitError, *CORRUPT_PICKLE_ERRORS) as e:
        raise ConfigError(f"--data-path: {path} is not a CIFAR batch file: "
                          f"{type(e).__name__}: {str(e)[:200]}") from None
    if not isinstance(batch, dict):
        raise ConfigError(f"--data-path: {path} is not a CIFAR batch file (not a dict)")
    return batch


def batch_arrays(batch: dict[str, Any], label_key: str, classes: int, path: Path
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The ``data`` rows (N x 3072 uint8) and labels (N, in 0..classes-1) of a batch, checked."""
    rows, labels = batch.get("data"), batch.get(label_key)
    if not isinstance(rows, np.ndarray) or rows.dtype != np.uint8 or rows.ndim != 2 \
            or rows.shape[1] != 3 * 32 * 32:
        raise ConfigError(f"--data-path: {path}: 'data' must be an N x 3072 uint8 array (CIFAR "
                          f"images); found {_describe(rows)}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        labels = None
    if labels is None or labels.shape != (len(rows),) or \
            (len(labels) and not 0 <= labels.min() <= labels.max() < classes):
        raise ConfigError(f"--data-path: {path}: {label_key!r} must hold {len(rows)} labels in "
                          f"0..{classes - 1}; found {_describe(batch.get(label_key))}")
    return rows, labels


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return "nothing" if value is None else f"a {type(value).__name__}"


@dataclass(frozen=True)
class Layout:
    """Where one CIFAR variant lives on disk and where it comes from."""

    folder: str
    train: tuple[str, ...]
    test: str
    meta: str
    label_key: str
    classes: int
    url: str
    md5: str


CIFAR10 = Layout("cifar-10-batches-py", tuple(f"data_batch_{i}" for i in range(1, 6)),
                 "test_batch", "batches.meta", "labels", 10,
                 "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                 "c58f30108f718f92721af3b95e74349a")
CIFAR100 = Layout("cifar-100-python", ("train",), "test", "meta", "fine_labels", 100,
                  "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                  "eb9058c3a382ffc7106e4002c42a8d85")


def _images(rows: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(rows.reshape(-1, 3, 32, 32)).float().div_(255.0)
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def read_cifar(layout: Layout, root: Path, offline: bool, name: str
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Train and test images/labels of one CIFAR variant under ``root`` (downloaded if allowed)."""
    folder = root / layout.folder
    files = [folder / f for f in (*layout.train, layout.test, layout.meta)]

    def download() -> None:
        archive = fetch(layout.url, root / Path(layout.url).name, layout.md5)
        extract(archive, root)

    ensure(name, root, files, f"get {layout.url} and unpack it there (it holds "
           f"{layout.folder}/), or run once online without --offline", download, offline)
    parts = [batch_arrays(read_batch(folder / f), layout.label_key, layout.classes, folder / f)
             for f in (*layout.train, layout.test)]
    x = _images(np.concatenate([rows for rows, _ in parts[:-1]]))
    y = torch.from_numpy(np.concatenate([labels for _, labels in parts[:-1]]))
    return x, y, _images(parts[-1][0]), torch.from_numpy(parts[-1][1])


def _loader(name: str, layout: Layout, default_clients: int, fixed: str | None):
    def load(config: Any) -> FederatedDataset:
        x, y, tx, ty = read_cifar(layout, Path(config.data_path), config.offline, name)
        return federate(name, config, x, y, task="classification", output_dim=layout.classes,
                        default_clients=default_clients, test_x=tx, test_y=ty,
                        fixed_partition=fixed)
    load.__doc__ = f"CIFAR loader for --dataset {name}."
    return load


for _name, _layout, _clients, _fixed in [("cifar10", CIFAR10, 1, None),
                                         ("cifar10_fl", CIFAR10, 10, None),
                                         ("cifar10_fl_by_class", CIFAR10, 10, "sorted"),
                                         ("cifar100", CIFAR100, 1, None)]:
    register_dataset(_name)(_loader(_name, _layout, _clients, _fixed))
