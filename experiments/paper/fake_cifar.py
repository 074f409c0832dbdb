"""A small stand-in for CIFAR-10 in its real on-disk layout, made from scikit-learn's digits.

The 1797 8x8 grey digits become 32x32 colour images (each pixel a 4x4 block, tinted per class so
the three channels differ), written as ``cifar-10-batches-py/`` python batches that the real
CIFAR-10 loader reads. It is not CIFAR-10: it only lets the section 4.3 pipeline (loader,
federated split, ResNet, MARINA with client sampling) run offline on a CPU, and every figure made
from it says so.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

FOLDER = "cifar-10-batches-py"
TEST = 297  # the last 297 digits are the test batch, the 1500 others the 5 training batches


def write_fake_cifar10(root: str | Path) -> Path:
    """Write the stand-in under ``root`` (once); return ``root``."""
    root = Path(root)
    folder = root / FOLDER
    if (folder / "batches.meta").is_file():
        return root
    folder.mkdir(parents=True, exist_ok=True)
    digits = load_digits()
    grey = np.kron(digits.images / 16.0, np.ones((4, 4)))  # (N, 32, 32) in [0, 1]
    tint = np.stack([0.5 + 0.5 * np.cos(digits.target * k) for k in (1.0, 2.0, 3.0)], axis=1)
    images = grey[:, None] * tint[:, :, None, None]  # (N, 3, 32, 32)
    rows = np.round(images * 255).astype(np.uint8).reshape(len(images), 3072)
    labels = digits.target.tolist()
    train = len(rows) - TEST
    for i, chunk in enumerate(np.array_split(np.arange(train), 5), start=1):
        _dump(folder / f"data_batch_{i}", {"data": rows[chunk], "labels":
                                           [labels[j] for j in chunk]})
    _dump(folder / "test_batch", {"data": rows[train:], "labels": labels[train:]})
    _dump(folder / "batches.meta", {"label_names": [f"digit {k}" for k in range(10)]})
    return root


def _dump(path: Path, batch: dict) -> None:
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)
