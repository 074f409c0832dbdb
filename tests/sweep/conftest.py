"""A tiny quadratic problem for sweeps, and a helper that writes sweep files."""

import json

import pytest

BASE = {"dataset": "generated_for_quadratic_minimization",
        "dataset_generation_spec": "clients:6,samples_per_client:10,variables:5,homogeneous:0,"
                                   "l:2,mu:1",
        "model": "linear", "loss": "mse", "metric": "dist_to_solution", "rounds": 8,
        "compute_type": "fp64", "algorithm_options": "internal_sgd:full-gradient",
        "run_local_steps": True, "number_of_local_iters": 1, "num_clients_per_round": 3,
        "local_lr": 0.1, "threadpool_for_local_opt": "0"}


@pytest.fixture
def sweep_file(tmp_path):
    """Write ``{"name", "base", "grid", "seeds"}`` (base defaults to the tiny problem)."""
    def write(grid, seeds=1, base=None, name="s", **extra):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"name": name, "base": BASE if base is None else base,
                                    "grid": grid, "seeds": seeds, **extra}))
        return path
    return write
