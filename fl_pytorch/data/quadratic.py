"""Synthetic quadratic problem (FL_PyTorch paper, eq. 3): ``f_i(x) = 1/n_i ||A_i x - b_i||^2``.

The loss is torch's MSE of the bias-free linear model, so the Hessian of client i is
``H_i = 2/n_i A_i^T A_i``. Each ``A_i`` is built from its SVD so that H_i has eigenvalues
``mu, L`` (exactly, on eigenvectors shared by all clients) and the rest uniform in ``[mu, L]``.
Because the two extreme eigenvectors are shared and the client weights sum to one, the global
Hessian ``sum_i w_i H_i`` also has smallest eigenvalue mu and largest L exactly.

Non-IID (``homogeneous:0``): every client has its own rotation of the inner eigenvectors and its
own planted minimizer, so the local minimizers differ. IID (``homogeneous:1``): every client holds
the same ``(A, b)``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import ConfigError
from .federated import FederatedDataset, parse_spec

NAME = "generated_for_quadratic_minimization"
DEFAULTS = {"clients": 10, "samples_per_client": 100, "variables": 20, "homogeneous": 0,
            "l": 2.0, "mu": 1.0, "noise": 0.1, "seed": 0}


def _orthonormal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


def generate_quadratic(spec: str = "") -> FederatedDataset:
    """Build the quadratic problem described by a ``--dataset-generation-spec`` string."""
    p = parse_spec(spec, DEFAULTS)
    n, d, clients = p["samples_per_client"], p["variables"], p["clients"]
    mu, big_l = p["mu"], p["l"]
    opt = "--dataset-generation-spec"
    if clients < 1 or d < 1:
        raise ConfigError(f"{opt}: clients and variables must be >= 1 (got {clients}, {d})")
    if p["seed"] < 0 or p["noise"] < 0 or p["homogeneous"] not in (0, 1):
        raise ConfigError(f"{opt}: invalid value {spec!r}; need seed >= 0, noise >= 0 and "
                          f"homogeneous 0 or 1 (got seed:{p['seed']}, noise:{p['noise']}, "
                          f"homogeneous:{p['homogeneous']})")
    if not 0 < mu <= big_l:
        raise ConfigError(f"{opt}: need 0 < mu <= l (got mu:{mu}, l:{big_l})")
    if d == 1 and mu != big_l:
        raise ConfigError(f"{opt}: with variables:1 the Hessian is a number, so mu must equal l")
    if n < d:
        raise ConfigError(f"{opt}: samples_per_client ({n}) must be >= variables ({d}) for a "
                          "strongly convex (mu > 0) client objective")
    rng = np.random.default_rng(p["seed"])
    shared = _orthonormal(rng, d, min(d, 2))  # eigenvectors of mu and L, common to all clients
    complement = np.linalg.svd(np.eye(d) - shared @ shared.T)[0][:, : d - shared.shape[1]]
    a_blocks, b_blocks, hessians, local_opt = [], [], [], []
    for _ in range(1 if p["homogeneous"] else clients):
        inner = complement @ _orthonormal(rng, complement.shape[1], complement.shape[1]) \
            if complement.shape[1] else complement
        q = np.concatenate([shared, inner], axis=1)
        eig = np.concatenate([[mu, big_l][: shared.shape[1]], rng.uniform(mu, big_l, d - 2)]) \
            if d > 1 else np.array([mu])
        a = np.sqrt(n / 2.0) * _orthonormal(rng, n, d) @ np.diag(np.sqrt(eig)) @ q.T
        z = rng.standard_normal(d)
        b = a @ z + p["noise"] * rng.standard_normal(n)
        a_blocks.append(a)
        b_blocks.append(b)
        hessians.append(2.0 / n * a.T @ a)
        local_opt.append(np.linalg.solve(a.T @ a, a.T @ b))
    if p["homogeneous"]:
        a_blocks, b_blocks = a_blocks * clients, b_blocks * clients
        hessians, local_opt = hessians * clients, local_opt * clients
    a_all = torch.tensor(np.concatenate(a_blocks))
    b_all = torch.tensor(np.concatenate(b_blocks))
    linear_terms = [2.0 / n * a.T @ b for a, b in zip(a_blocks, b_blocks)]

    def solution(weights: torch.Tensor, l2_alpha: float) -> torch.Tensor:
        w = weights.double().numpy()
        h = sum(wi * hi for wi, hi in zip(w, hessians)) + l2_alpha * np.eye(d)
        rhs = sum(wi * ci for wi, ci in zip(w, linear_terms))
        return torch.tensor(np.linalg.solve(h, rhs))

    indices = [torch.arange(i * n, (i + 1) * n) for i in range(clients)]
    info = {"dimension": d, "L": float(big_l), "mu": float(mu),
            "L_i": [float(big_l)] * clients, "mu_i": [float(mu)] * clients,
            "homogeneous": bool(p["homogeneous"]), "spec": p}
    return FederatedDataset(name=NAME, x=a_all, y=b_all, client_indices=indices,
                            input_shape=(d,), output_dim=1, info=info, solution=solution,
                            extras={"hessians": hessians, "local_solutions": local_opt})
