"""LIBSVM binary classification files, for logistic regression (read with scikit-learn).

Named datasets (``a1a``..``a9a``, ``w1a``..``w9a``, ``mushrooms``, ``phishing``) are the files
``<data-path>/<name>`` (and ``<name>.t``, the test split, for the a*/w* families), downloaded from
the LIBSVM site when missing and online. ``mushrooms`` and ``phishing`` have no test file: a fixed
shuffle (seed 1234) keeps 20% for testing. ``--dataset libsvm --data-path FILE`` reads any
binary-label file (its test split is ``FILE.t`` when present, else none).

Features are held sparse, as the rows of a CSR matrix (``data/sparse.py``: news20.binary's 1.36M
features take 100 MB instead of 200 GB), with a constant 1 prepended (the bias, left out with
``--no-intercept``); the two label values become -1 and +1. The linear models use them as they
are (closed-form oracles); another model gets a dense copy when it fits in memory
(``engine/simulation.py``). 10 clients by default, split by ``--partition``.

For ``f_i(x) = 1/n_i sum_j log(1 + exp(-b_j a_j^T x))`` the smoothness constants are
``L_i = lambda_max(A_i^T A_i) / (4 n_i)`` and ``L = lambda_max(sum_i w_i A_i^T A_i / n_i) / 4``
(the logistic function's second derivative is at most 1/4); they go to ``dataset.info`` (``L``,
``L_i``, and ``mu = mu_i = 0``: convex, not strongly) for theoretical step sizes, which add an l2
regularizer's alpha to all of them (``core/theory.py``). Each top eigenvalue comes from the
smaller of the two Gram matrices (``A^T A`` or ``A A^T``): dense and exact up to
:data:`DENSE_GRAM` rows, else by Lanczos iterations (``scipy.sparse.linalg.eigsh``) on products
with the sparse samples, never forming the large one.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .centralized import federate
from .download import ensure, fetch
from .federated import FederatedDataset
from .registry import register_dataset
from .sparse import SparseRows

URL = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"
WITH_TEST_FILE = [f"{family}{i}a" for family in "aw" for i in range(1, 10)]
SPLIT_80_20 = ["mushrooms", "phishing"]


#: the largest Gram matrix whose top eigenvalue is computed densely (beyond: Lanczos)
DENSE_GRAM = 2000


def lambda_max_gram(a: Any) -> float:
    """Largest eigenvalue of ``A^T A`` for a scipy.sparse matrix A."""
    if a.shape[0] == 0 or a.nnz == 0:
        return 0.0
    small = min(a.shape)
    if small <= DENSE_GRAM:
        return top_eigenvalue((a.T @ a if a.shape[0] >= a.shape[1] else a @ a.T).toarray())
    from scipy.sparse.linalg import LinearOperator, eigsh
    if a.shape[0] >= a.shape[1]:
        op = LinearOperator((small, small), matvec=lambda v: a.T @ (a @ v), dtype=np.float64)
    else:
        op = LinearOperator((small, small), matvec=lambda v: a @ (a.T @ v), dtype=np.float64)
    start = np.random.default_rng(0).standard_normal(small)
    return float(eigsh(op, k=1, which="LA", v0=start, tol=1e-12)[0][0])


def top_eigenvalue(gram: np.ndarray) -> float:
    """Largest eigenvalue of a symmetric PSD matrix.

    Lanczos (ARPACK, a fixed random start) to machine precision: milliseconds where a full
    eigendecomposition of w8a's 301 x 301 Gram matrices takes a tenth of a second each.
    """
    if gram.shape[0] < 3:
        return float(np.linalg.eigvalsh(gram)[-1])
    from scipy.sparse.linalg import eigsh
    start = np.random.default_rng(0).standard_normal(gram.shape[0])
    return float(eigsh(gram, k=1, which="LA", v0=start, tol=1e-15)[0][0])


def smoothness(x: Any, indices: list[np.ndarray], weights: np.ndarray) -> dict[str, Any]:
    """``L``, ``L_i``, ``mu``, ``mu_i`` of the logistic loss on the clients' rows of ``x`` (CSR).

    With at most :data:`DENSE_GRAM` features and no more features than samples, each client's
    d x d Gram matrix ``A_i^T A_i`` is formed once (``torch``'s BLAS) and serves both its ``L_i``
    and ``L``'s ``sum_i w_i A_i^T A_i / n_i``; otherwise the weighted rows are stacked (sparse)
    and the smaller Gram matrix, or Lanczos, gives ``L``.
    """
    d = x.shape[1]
    if d > DENSE_GRAM or d > sum(len(ix) for ix in indices):
        from scipy.sparse import vstack
        l_i = [lambda_max_gram(x[ix]) / (4 * len(ix)) for ix in indices]
        stacked = vstack([x[ix] * np.sqrt(w / len(ix)) for ix, w in zip(indices, weights)])
        return {"L": lambda_max_gram(stacked.tocsr()) / 4, "L_i": l_i, "mu": 0.0,
                "mu_i": [0.0] * len(indices)}
    total, l_i = np.zeros((d, d)), []
    for ix, w in zip(indices, weights):
        rows = torch.from_numpy(x[ix].toarray())
        gram = (rows.T @ rows).numpy()
        small = len(ix) < d  # the n_i x n_i Gram has the same top eigenvalue and is smaller
        l_i.append((lambda_max_gram(x[ix]) if small else top_eigenvalue(gram)) / (4 * len(ix)))
        total += (w / len(ix)) * gram
    return {"L": top_eigenvalue(total) / 4, "L_i": l_i, "mu": 0.0, "mu_i": [0.0] * len(indices)}


def read_libsvm(train: Path, test: Path | None, name: str, intercept: bool = True
                ) -> tuple[Any, np.ndarray, Any, Any]:
    """Sparse CSR features and -1/+1 labels of a train file and an optional test file.

    The bias column (all ones) comes first unless ``intercept`` is False.
    """
    from .optional import require
    datasets = require("sklearn.datasets", "scikit-learn", name)
    from scipy.sparse import csr_matrix, hstack
    files = [str(train)] + ([str(test)] if test else [])
    try:
        loaded = datasets.load_svmlight_files(files)
    except (ValueError, OverflowError) as e:
        raise ConfigError(f"--dataset: {name!r}: {files} is not a valid LIBSVM file: {e}") from None
    except OSError as e:
        raise ConfigError(f"--data-path: cannot read {files}: {e.strerror or e}") from None
    check_features(name, train, loaded)
    values = np.unique(loaded[1])
    if len(values) != 2:
        raise ConfigError(f"--dataset: {name!r}: {train} has {len(values)} label values "
                          f"({values[:5].tolist()}...); a binary-label file is needed")

    def features(x: Any) -> Any:
        if intercept:
            x = hstack([csr_matrix(np.ones((x.shape[0], 1))), x])
        return csr_matrix(x, dtype=np.float64)
    x, y = features(loaded[0]), np.where(loaded[1] == values[1], 1.0, -1.0)
    if not test:
        return x, y, None, None
    return x, y, features(loaded[2]), np.where(loaded[3] == values[1], 1.0, -1.0)


def check_features(name: str, train: Path, loaded: list[Any]) -> None:
    """Finite features and labels."""
    for part in loaded:
        values = part.data if hasattr(part, "data") else part
        if not np.isfinite(values).all():
            raise ConfigError(f"--dataset: {name!r}: {train} holds a value that is not a "
                              "finite number (nan or inf)")


def _files(name: str, config: Any) -> tuple[Path, Path | None]:
    if name == "libsvm":
        path = Path(config.data_path)
        if not path.is_file():
            raise ConfigError(f"--data-path: invalid value {config.data_path!r}; --dataset libsvm "
                              "needs the path of a LIBSVM text file")
        test = path.with_name(path.name + ".t")
        return path, test if test.is_file() else None
    root = Path(config.data_path)
    required = [root / name] + ([root / f"{name}.t"] if name in WITH_TEST_FILE else [])

    def download() -> None:
        for p in required:
            if not p.exists():
                fetch(URL + p.name, p)

    ensure(name, root, required, f"get {', '.join(URL + p.name for p in required)} into "
           f"{root}, or run once online without --offline", download, config.offline)
    return required[0], required[1] if len(required) > 1 else None


def load_libsvm(name: str, config: Any) -> FederatedDataset:
    """Load a LIBSVM dataset (sparse), federate it and attach its smoothness constants."""
    train, test = _files(name, config)
    x, y, tx, ty = read_libsvm(train, test, name, not config.no_intercept)
    if name in SPLIT_80_20:
        order = np.random.RandomState(1234).permutation(len(y))
        cut = int(0.8 * len(y))
        x, y, tx, ty = x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    ds = federate(name, config, SparseRows.from_scipy(x), torch.from_numpy(y), task="binary",
                  output_dim=1, default_clients=10,
                  test_x=None if tx is None else SparseRows.from_scipy(tx),
                  test_y=None if ty is None else torch.from_numpy(ty),
                  info={"num_classes": 2, "features": x.shape[1], "file": str(train)})
    indices = [ix.numpy() for ix in ds.client_indices]
    sizes = np.array([len(ix) for ix in indices], dtype=np.float64)
    weights = sizes / sizes.sum() if config.client_weights == "data-size" \
        else np.full(len(indices), 1.0 / len(indices))
    ds.info.update(smoothness(ds.x.to_scipy(), indices, weights))
    return ds


LIBSVM_NAMES = ("libsvm", *WITH_TEST_FILE, *SPLIT_80_20)
for _name in LIBSVM_NAMES:
    register_dataset(_name)(partial(load_libsvm, _name))
