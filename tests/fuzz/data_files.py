"""Corrupt data files for every loader format (TFF HDF5, CIFAR pickles, MNIST IDX, LIBSVM).

Each case writes, under a fresh folder, the files of one format with one thing wrong and
returns the command-line options that load them. The files start from the real layouts of
``tests/data/files.py``, then break one part: a missing group or key, a wrong shape, a truncated
or foreign file, a huge or non-finite number.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from tests.data.files import write_cifar10, write_femnist, write_idx, write_shakespeare

Case = Callable[[Path], list[str]]
TINY = ["--rounds", "1", "--num-clients-per-round", "1", "--offline", "--quiet"]


def _femnist(tmp: Path) -> Path:
    write_femnist(tmp, {"w0": 6, "w1": 6}, {"t0": 4})
    return tmp / "femnist" / "fed_emnist_train.h5"


def _femnist_args(tmp: Path) -> list[str]:
    return ["--dataset", "femnist", "--model", "small_cnn", "--data-path", str(tmp), *TINY]


def _h5_edit(edit: Callable[[h5py.File], None]) -> Case:
    def make(tmp: Path) -> list[str]:
        with h5py.File(_femnist(tmp), "a") as f:
            edit(f)
        return _femnist_args(tmp)
    return make


def _replace_dataset(f: h5py.File, name: str, data: np.ndarray) -> None:
    del f[name]
    f.create_dataset(name, data=data)


def _h5_bytes(transform: Callable[[bytes], bytes]) -> Case:
    def make(tmp: Path) -> list[str]:
        path = _femnist(tmp)
        path.write_bytes(transform(path.read_bytes()))
        return _femnist_args(tmp)
    return make


def _shakespeare_no_snippets(tmp: Path) -> list[str]:
    write_shakespeare(tmp, {"r0": ["to be or not"]}, {"r1": ["to be"]})
    with h5py.File(tmp / "shakespeare" / "shakespeare_train.h5", "a") as f:
        _replace_dataset(f, "examples/r0/snippets", np.arange(3.0))
    return ["--dataset", "shakespeare", "--model", "shakespeare_lstm", "--data-path", str(tmp),
            *TINY]


def _cifar_batch(edit: Callable[[dict], dict | bytes]) -> Case:
    def make(tmp: Path) -> list[str]:
        write_cifar10(tmp, per_batch=4, test=4)
        path = tmp / "cifar-10-batches-py" / "data_batch_2"
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="latin1")
        new = edit(batch)
        path.write_bytes(new if isinstance(new, bytes) else pickle.dumps(new, protocol=2))
        return ["--dataset", "cifar10_fl", "--model", "small_cnn", "--data-path", str(tmp),
                "--num-clients", "2", *TINY]
    return make


class _System:
    def __reduce__(self):
        import os
        return os.system, ("echo pwned",)


def _without(key: str) -> Callable[[dict], dict]:
    return lambda b: {k: v for k, v in b.items() if k != key}


def _with(key: str, value: object) -> Callable[[dict], dict]:
    return lambda b: {**b, key: value}


def _huge_declared_array(batch: dict) -> bytes:
    from numpy._core import multiarray

    class Huge:
        def __reduce__(self):
            return multiarray._reconstruct, (np.ndarray, (10**8, 3072), b"B")
    return pickle.dumps({**batch, "data": Huge()}, protocol=2)


def _mnist(edit: Callable[[Path], None]) -> Case:
    def make(tmp: Path) -> list[str]:
        raw = tmp / "MNIST" / "raw"
        rng = np.random.default_rng(0)
        for prefix, n in (("train", 20), ("t10k", 10)):
            write_idx(raw, prefix, rng.integers(0, 256, (n, 28, 28)), np.arange(n) % 10)
        edit(raw)
        return ["--dataset", "mnist", "--model", "small_cnn", "--data-path", str(tmp), *TINY]
    return make


def _truncate(name: str, keep: int) -> Callable[[Path], None]:
    return lambda raw: (raw / name).write_bytes((raw / name).read_bytes()[:keep])


def _overwrite(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda raw: (raw / name).write_bytes(data)


def _libsvm(text: str | bytes, model: str = "logistic_regression") -> Case:
    def make(tmp: Path) -> list[str]:
        path = tmp / "train.svm"
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        return ["--dataset", "libsvm", "--model", model, "--loss", "logistic",
                "--metric", "loss", "--data-path", str(path), *TINY]
    return make


def _libsvm_path(path: str) -> Case:
    return lambda tmp: ["--dataset", "libsvm", "--model", "logistic_regression", "--loss",
                        "logistic", "--data-path", path, *TINY]


GOOD_SVM = "".join(f"{1 if i % 2 else -1} 1:{i * 0.1:.1f} 2:{1 - i * 0.05:.2f}\n"
                   for i in range(20))

DATA_CASES: dict[str, Case] = {
    "femnist-no-examples-group": _h5_edit(lambda f: f.move("examples", "other")),
    "femnist-no-pixels": _h5_edit(lambda f: f.__delitem__("examples/w0/pixels")),
    "femnist-no-label": _h5_edit(lambda f: f.__delitem__("examples/w1/label")),
    "femnist-pixels-wrong-shape": _h5_edit(
        lambda f: _replace_dataset(f, "examples/w0/pixels", np.zeros((6, 5), np.float32))),
    "femnist-labels-count-mismatch": _h5_edit(
        lambda f: _replace_dataset(f, "examples/w0/label", np.zeros(2, np.int32))),
    "femnist-label-out-of-range": _h5_edit(
        lambda f: _replace_dataset(f, "examples/w0/label", np.full(6, 1000, np.int32))),
    "femnist-pixels-are-strings": _h5_edit(
        lambda f: _replace_dataset(f, "examples/w0/pixels", np.array([b"x"] * 6))),
    "femnist-client-is-a-dataset": _h5_edit(
        lambda f: _replace_dataset(f, "examples/w0", np.zeros(3))),
    "femnist-truncated": _h5_bytes(lambda b: b[:len(b) // 2]),
    "femnist-not-hdf5": _h5_bytes(lambda b: b"this is not an HDF5 file\n" * 10),
    "femnist-empty-file": _h5_bytes(lambda b: b""),
    "shakespeare-snippets-are-numbers": _shakespeare_no_snippets,
    "cifar-no-data-key": _cifar_batch(_without("data")),
    "cifar-no-labels-key": _cifar_batch(_without("labels")),
    "cifar-data-wrong-shape": _cifar_batch(_with("data", np.zeros((4, 100), np.uint8))),
    "cifar-data-wrong-dtype": _cifar_batch(_with("data", np.zeros((4, 3072), np.float64))),
    "cifar-labels-wrong-count": _cifar_batch(_with("labels", [1, 2])),
    "cifar-labels-out-of-range": _cifar_batch(_with("labels", [0, 1, 2, 99])),
    "cifar-labels-not-numbers": _cifar_batch(_with("labels", ["a", "b", "c", "d"])),
    "cifar-not-a-dict": _cifar_batch(lambda b: pickle.dumps([1, 2, 3], protocol=2)),
    "cifar-truncated-pickle": _cifar_batch(lambda b: pickle.dumps(b, protocol=2)[:200]),
    "cifar-not-a-pickle": _cifar_batch(lambda b: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    "cifar-planted-code": _cifar_batch(lambda b: pickle.dumps({**b, "x": _System()}, 2)),
    "cifar-huge-declared-array": _cifar_batch(_huge_declared_array),
    "mnist-truncated-images": _mnist(_truncate("train-images-idx3-ubyte", 400)),
    "mnist-truncated-header": _mnist(_truncate("train-labels-idx1-ubyte", 5)),
    "mnist-empty-labels": _mnist(_overwrite("t10k-labels-idx1-ubyte", b"")),
    "mnist-wrong-magic": _mnist(_overwrite("train-images-idx3-ubyte", b"\x00\x00\x09\x03"
                                           + b"\x00\x00\x00\x14" * 3 + b"\x00" * 15680)),
    "mnist-label-count-mismatch": _mnist(lambda raw: write_idx(
        raw, "train", np.zeros((20, 28, 28)), np.arange(7) % 10)),
    "libsvm-huge-index": _libsvm(GOOD_SVM + "1 3000000000:1\n"),
    # sparse samples take it; a model that needs them dense (21 x 3e8 floats) cannot
    "libsvm-wide-index": _libsvm(GOOD_SVM + "1 300000000:1\n", model="mlp"),
    "libsvm-nan-feature": _libsvm(GOOD_SVM + "1 1:nan\n"),
    "libsvm-inf-feature": _libsvm(GOOD_SVM + "-1 2:inf\n"),
    "libsvm-three-labels": _libsvm(GOOD_SVM + "7 1:1\n"),
    "libsvm-garbage": _libsvm("hello world\nthis is : not libsvm\n"),
    "libsvm-binary": _libsvm(bytes(range(256)) * 4),
    "libsvm-empty": _libsvm(""),
    "libsvm-negative-index": _libsvm(GOOD_SVM + "1 -5:1\n"),
    "libsvm-proc-self-mem": _libsvm_path("/proc/self/mem"),
    "libsvm-a-folder": _libsvm_path("/"),
    "libsvm-dev-zero": _libsvm_path("/dev/zero"),
}
