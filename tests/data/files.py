"""Writers of tiny dataset files in the real on-disk formats (what users download), for tests."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np


def write_cifar10(root: Path, per_batch: int = 20, test: int = 30, seed: int = 0) -> dict:
    """cifar-10-batches-py/ with data_batch_1..5, test_batch and batches.meta (python pickles
    of dicts holding a uint8 'data' array (N, 3072) and a 'labels' list), as the real archive."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for name, n in [*((f"data_batch_{i}", per_batch) for i in range(1, 6)), ("test_batch", test)]:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [int(v) for v in np.arange(n) % 10]
        batches[name] = (data, labels)
        with open(folder / name, "wb") as f:
            pickle.dump({"batch_label": f"{name} of 5", "labels": labels, "data": data,
                         "filenames": [f"img_{i}.png" for i in range(n)]}, f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"num_cases_per_batch": per_batch, "num_vis": 3072,
                     "label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog",
                                     "frog", "horse", "ship", "truck"]}, f, protocol=2)
    return batches


def write_femnist(root: Path, clients: dict[str, int], test_clients: dict[str, int],
                  seed: int = 0) -> dict:
    """femnist/fed_emnist_{train,test}.h5 in TFF's layout: examples/<client>/{pixels,label}."""
    rng = np.random.default_rng(seed)
    folder = root / "femnist"
    folder.mkdir(parents=True)
    written = {}
    for split, spec in (("train", clients), ("test", test_clients)):
        with h5py.File(folder / f"fed_emnist_{split}.h5", "w") as f:
            for cid, n in spec.items():
                pixels = rng.random((n, 28, 28), dtype=np.float32)
                label = rng.integers(0, 62, size=n).astype(np.int32)
                f.create_dataset(f"examples/{cid}/pixels", data=pixels)
                f.create_dataset(f"examples/{cid}/label", data=label)
                written[(split, cid)] = (pixels, label)
    return written


def write_shakespeare(root: Path, clients: dict[str, list[str]], test: dict[str, list[str]]
                      ) -> None:
    """shakespeare/shakespeare_{train,test}.h5: examples/<role>/snippets (byte strings)."""
    folder = root / "shakespeare"
    folder.mkdir(parents=True)
    for split, spec in (("train", clients), ("test", test)):
        with h5py.File(folder / f"shakespeare_{split}.h5", "w") as f:
            for role, snippets in spec.items():
                f.create_dataset(f"examples/{role}/snippets",
                                 data=np.array([s.encode() for s in snippets], dtype=object),
                                 dtype=h5py.string_dtype(encoding="utf-8"))


def write_idx(folder: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    """MNIST IDX files (big-endian header, uint8 data): <prefix>-images-idx3-ubyte and
    <prefix>-labels-idx1-ubyte."""
    folder.mkdir(parents=True, exist_ok=True)
    n, h, w = images.shape
    header = np.array([0x00000803, n, h, w], dtype=">i4").tobytes()
    (folder / f"{prefix}-images-idx3-ubyte").write_bytes(header + images.astype(np.uint8).tobytes())
    header = np.array([0x00000801, n], dtype=">i4").tobytes()
    (folder / f"{prefix}-labels-idx1-ubyte").write_bytes(header + labels.astype(np.uint8).tobytes())
