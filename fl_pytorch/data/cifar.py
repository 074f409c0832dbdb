"""CIFAR-10 / CIFAR-100 in torchvision's on-disk layout (the "python version" of the archives).

``<data-path>/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` and
``<data-path>/cifar-100-python/{train, test, meta}``: pickled dicts with ``data`` (N x 3072
uint8, channel-major rows) and ``labels`` (``fine_labels`` for CIFAR-100). They are read with a
restricted unpickler that only rebuilds NumPy arrays, so a planted file cannot run code. Images
become float32 (N, 3, 32, 32), normalized per channel with the original tool's constants.

Names: ``cifar10``/``cifar100`` (the original tool's centralized runs: 1 client unless
``--num-clients``), ``cifar10_fl`` (10 clients), ``cifar10_fl_by_class`` (10 clients, sorted by
class: each client holds one class).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .centralized import federate
from .download import ensure, extract, fetch
from .federated import FederatedDataset
from .registry import register_dataset

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)
_ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"), ("_codecs", "encode")}


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that can rebuild NumPy arrays and plain containers, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR file")
        return super().find_class(module, name)


def read_batch(path: Path) -> dict[str, Any]:
    """One CIFAR python batch file as a dict (str keys, like torchvision's latin1 loading)."""
    try:
        with open(path, "rb") as f:
            return _ArraysOnly(f, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError) as e:
        raise ConfigError(f"--data-path: {path} is not a CIFAR batch file: {e}") from None


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
    parts = [read_batch(folder / f) for f in layout.train]
    test = read_batch(folder / layout.test)
    x = _images(np.concatenate([p["data"] for p in parts]))
    y = torch.tensor(np.concatenate([p[layout.label_key] for p in parts]), dtype=torch.long)
    return x, y, _images(test["data"]), torch.tensor(test[layout.label_key], dtype=torch.long)


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
