"""Test problems beyond the built-in datasets, registered under test-only names.

``register()`` adds them to the dataset registry when a test needs them (at run time, never at
collection, so registry-driven tests collected elsewhere do not see them).
"""

from __future__ import annotations

import numpy as np
import torch

from fl_pytorch.data import DATASETS, FederatedDataset
from fl_pytorch.data.quadratic import generate_quadratic

HETERO = "test_heterogeneous_quadratic"
HETERO_L = [1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0, 20.0]  # L_i; every client has mu_i = 1
SAMPLES, DIM = 30, 8


def heterogeneous_quadratic(config=None) -> FederatedDataset:
    """Client i: f_i(x) = 1/m ||A_i x - b_i||^2 whose Hessian has eigenvalues 1 and L_i exactly
    (one single-client synthetic quadratic per client, each with its own seed)."""
    parts = [generate_quadratic(f"clients:1,samples_per_client:{SAMPLES},variables:{DIM},"
                                f"l:{big_l},mu:1,noise:1.0,seed:{i}")
             for i, big_l in enumerate(HETERO_L)]
    hessians = [p.extras["hessians"][0] for p in parts]
    linear = [2.0 / SAMPLES * p.x.numpy().T @ p.y.numpy() for p in parts]

    def solution(weights: torch.Tensor, l2: float) -> torch.Tensor:
        w = weights.double().numpy()
        h = sum(wi * hi for wi, hi in zip(w, hessians)) + l2 * np.eye(DIM)
        return torch.tensor(np.linalg.solve(h, sum(wi * ci for wi, ci in zip(w, linear))))

    eig = np.linalg.eigvalsh(sum(hessians) / len(hessians))
    n = len(parts)
    return FederatedDataset(
        name=HETERO, x=torch.cat([p.x for p in parts]), y=torch.cat([p.y for p in parts]),
        client_indices=[torch.arange(i * SAMPLES, (i + 1) * SAMPLES) for i in range(n)],
        input_shape=(DIM,), output_dim=1, solution=solution,
        info={"dimension": DIM, "L": float(eig[-1]), "mu": float(eig[0]), "L_i": HETERO_L,
              "mu_i": [1.0] * n})


def without_constants(config) -> FederatedDataset:
    """The built-in quadratic with its smoothness constants hidden (as for a real dataset)."""
    data = generate_quadratic(config.dataset_generation_spec)
    data.info = {"dimension": data.info["dimension"]}
    return data


NO_CONSTANTS = "test_quadratic_without_constants"


def register() -> None:
    """Register the test datasets (once)."""
    for name, loader in ((HETERO, heterogeneous_quadratic), (NO_CONSTANTS, without_constants)):
        if name not in DATASETS:
            DATASETS.register(name, loader)
