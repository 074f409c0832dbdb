"""MNIST and Fashion-MNIST in torchvision's on-disk layout, read by torchvision itself.

``<data-path>/MNIST/raw/`` (or ``FashionMNIST/raw/``) holds the four IDX files
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``. Images become float32 (N, 1, 28, 28), normalized with the usual mean
and standard deviation; 10 clients by default, split by ``--partition``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError
from .centralized import federate
from .download import ensure, extract, fetch
from .federated import FederatedDataset
from .registry import register_dataset

NORMALIZATION = {"MNIST": (0.1307, 0.3081), "FashionMNIST": (0.2860, 0.3530)}


def read_idx_dataset(cls_name: str, root: Path, offline: bool, name: str
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalized train and test images and labels of ``torchvision.datasets.<cls_name>``."""
    import torchvision.datasets as tvd
    cls = getattr(tvd, cls_name)
    raw = root / cls_name / "raw"
    files = [raw / Path(f).stem for f, _ in cls.resources]

    def download() -> None:
        for filename, md5 in cls.resources:
            errors = []
            for mirror in cls.mirrors:
                try:
                    extract(fetch(mirror + filename, raw / filename, md5), raw)
                    break
                except OSError as e:
                    errors.append(e)
            else:
                raise errors[-1]

    ensure(name, root, files, f"put the four IDX files ({', '.join(f.name for f in files)}) in "
           f"{raw}, e.g. unpacked from {cls.mirrors[0]}, or run once online without --offline",
           download, offline)
    mean, std = NORMALIZATION[cls_name]

    def split(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels = read_split(cls, root, train)
        return ((images.float() / 255.0 - mean) / std).unsqueeze(1), labels.long()
    return (*split(True), *split(False))


def read_split(cls: Any, root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, H, W) and labels (N, in 0..9) of one split, read and checked.

    torchvision's reader trusts the IDX headers; a truncated or foreign file is a ConfigError
    naming the folder instead of a reshape error.
    """
    raw = root / cls.__name__ / "raw"
    try:
        ds = cls(str(root), train=train, download=False)
        images, labels = ds.data, ds.targets
    except (RuntimeError, ValueError, OSError, EOFError, IndexError) as e:
        raise ConfigError(f"--data-path: the IDX files in {raw} are not valid {cls.__name__} "
                          f"files ({type(e).__name__}: {str(e)[:200]})") from None
    if images.dim() != 3 or labels.shape != (len(images),) or \
            (len(labels) and not 0 <= int(labels.min()) <= int(labels.max()) <= 9):
        raise ConfigError(f"--data-path: the IDX files in {raw} do not fit together: "
                          f"{tuple(images.shape)} images, {tuple(labels.shape)} labels (expected "
                          "N images of H x W pixels and N labels in 0..9)")
    return images, labels


def _loader(name: str, cls_name: str):
    def load(config: Any) -> FederatedDataset:
        x, y, tx, ty = read_idx_dataset(cls_name, Path(config.data_path), config.offline, name)
        return federate(name, config, x, y, task="classification", output_dim=10,
                        default_clients=10, test_x=tx, test_y=ty)
    load.__doc__ = f"Loader for --dataset {name} (torchvision.datasets.{cls_name} files)."
    return load


register_dataset("mnist")(_loader("mnist", "MNIST"))
register_dataset("fashion_mnist")(_loader("fashion_mnist", "FashionMNIST"))
