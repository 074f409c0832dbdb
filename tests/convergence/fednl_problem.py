"""A small L2-regularized logistic regression in a real LIBSVM file, and its NumPy oracles.

The file has sparse features (a few nonzeros per sample), +-1 labels from a noisy linear model,
and ``clients * samples`` lines, so that ``--partition equal`` keeps every sample and
``f = mean over samples + lambda/2 ||x||^2`` does not depend on the split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fl_pytorch import Config
from fl_pytorch.engine.simulation import build_simulation

CLIENTS, SAMPLES, FEATURES, LAMBDA = 6, 40, 10, 0.01


def write_libsvm(path: Path, clients: int = CLIENTS, samples: int = SAMPLES,
                 features: int = FEATURES, seed: int = 0, nonzeros: int = 4) -> Path:
    """A LIBSVM text file of ``clients * samples`` lines with up to ``nonzeros`` features each."""
    rng = np.random.default_rng(seed)
    truth = rng.standard_normal(features)
    lines = []
    for _ in range(clients * samples):
        cols = np.sort(rng.choice(features, rng.integers(1, nonzeros + 1), replace=False))
        vals = rng.standard_normal(cols.size).round(4)
        label = 1 if vals @ truth[cols] + 0.5 * rng.standard_normal() > 0 else -1
        lines.append(f"{label:+d} " + " ".join(f"{c + 1}:{v}" for c, v in zip(cols, vals)))
    path.write_text("\n".join(lines) + "\n")
    return path


def config(path: Path, algorithm: str, options: str = "", **changes) -> Config:
    """The FedNL experiment's configuration on the file, float64, full participation."""
    base = dict(dataset="libsvm", data_path=str(path), model="logistic_regression",
                loss="logistic", global_regulizer="cvx_l2norm", global_regulizer_alpha=LAMBDA,
                num_clients=CLIENTS, partition="equal", client_sampling_type="full",
                compute_type="fp64", rounds=10, metric="loss", quiet=True,
                extra_track="full_gradient_norm_train", algorithm=algorithm,
                algorithm_options=options)
    base.update(changes)
    return Config(**base)


def numpy_data(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Features with the intercept column first, and labels, parsed independently."""
    rows, labels = [], []
    for line in path.read_text().split("\n"):
        if not line:
            continue
        label, *pairs = line.split()
        x = np.zeros(FEATURES + 1)
        x[0] = 1.0
        for pair in pairs:
            j, v = pair.split(":")
            x[int(j)] = float(v)
        rows.append(x)
        labels.append(float(label))
    return np.array(rows), np.array(labels)


def numpy_newton(a: np.ndarray, b: np.ndarray, x0: np.ndarray, steps: int) -> list[np.ndarray]:
    """Newton's iterates on mean log(1 + exp(-b a^T x)) + LAMBDA/2 ||x||^2."""
    xs = [x0]
    for _ in range(steps):
        x = xs[-1]
        z = a @ x
        s = 1.0 / (1.0 + np.exp(b * z))  # sigmoid(-b z)
        grad = a.T @ (-b * s) / len(b) + LAMBDA * x
        p = 1.0 / (1.0 + np.exp(-z))
        hess = a.T @ (a * (p * (1 - p))[:, None]) / len(b) + LAMBDA * np.eye(len(x))
        xs.append(x - np.linalg.solve(hess, grad))
    return xs


def initial_point(cfg: Config) -> np.ndarray:
    """The x0 a run of ``cfg`` starts from (the model's seeded initialization)."""
    return build_simulation(cfg).x0.numpy().copy()


def numpy_fednl_topk(a: np.ndarray, b: np.ndarray, x0: np.ndarray, clients: int, k: int,
                     steps: int) -> list[np.ndarray]:
    """FedNL in NumPy: option 2, alpha = 1, ``H_i^0 = hess f_i(x0)``, Top-K of the upper
    triangle (ties to the lowest row-major position), the step with the round's learned Hessian.

    Client i holds the i-th of ``clients`` consecutive equal blocks of rows.
    """
    d = len(x0)
    rows, cols = np.triu_indices(d)
    parts = np.array_split(np.arange(len(b)), clients)

    def local(x, part):
        z = a[part] @ x
        p = 1.0 / (1.0 + np.exp(-z))
        grad = a[part].T @ (-b[part] / (1.0 + np.exp(b[part] * z))) / len(part) + LAMBDA * x
        hess = a[part].T @ (a[part] * (p * (1 - p))[:, None]) / len(part) + LAMBDA * np.eye(d)
        return grad, hess[rows, cols]

    learned = [local(x0, part)[1] for part in parts]
    weight = np.where(rows == cols, 1.0, 2.0)
    xs = [x0]
    for _ in range(steps):
        x, grads, errors = xs[-1], [], []
        for i, part in enumerate(parts):
            grad, hess = local(x, part)
            diff = hess - learned[i]
            errors.append(np.sqrt((weight * diff * diff).sum()))
            keep = np.argsort(-np.abs(diff), kind="stable")[:k]
            message = np.zeros_like(diff)
            message[keep] = diff[keep]
            learned[i] = learned[i] + message
            grads.append(grad)
        upper = np.mean(learned, axis=0)
        h = np.zeros((d, d))
        h[rows, cols] = upper
        h[cols, rows] = upper
        shift = np.mean(errors)
        xs.append(x - np.linalg.solve(h + shift * np.eye(d), np.mean(grads, axis=0)))
    return xs
