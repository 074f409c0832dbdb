"""FedAvg with one full-gradient local step and full participation IS gradient descent on the
pooled objective; so is DCGD with the identity compressor (float64, 1e-10)."""

import numpy as np
import pytest

from fl_pytorch import run
from fl_pytorch.engine.simulation import build_simulation


def pooled_gd(config, lr, rounds):
    """Gradient descent on (1/(N n)) ||A x - b||^2 computed with numpy from the raw data."""
    sim = build_simulation(config)
    a, b = sim.dataset.x.numpy(), sim.dataset.y.numpy()
    x = sim.x0.numpy().copy()
    losses = [np.mean((a @ x - b) ** 2)]
    for _ in range(rounds):
        x = x - lr * 2.0 / len(b) * a.T @ (a @ x - b)
        losses.append(np.mean((a @ x - b) ** 2))
    return x, np.array(losses)


@pytest.mark.parametrize("algorithm,global_lr,local_lr", [
    ("fedavg", 1.0, 0.3), ("dcgd", 0.3, 1.0), ("fedprox", 1.0, 0.3)])
def test_matches_pooled_gradient_descent(quad_config, tmp_path, algorithm, global_lr, local_lr):
    cfg = quad_config(algorithm=algorithm, global_lr=global_lr, local_lr=local_lr, rounds=25)
    result = run(cfg, out=tmp_path / "r.bin")
    x_gd, losses = pooled_gd(cfg, 0.3, 25)
    assert np.abs(result["final_params"] - x_gd).max() < 1e-10
    np.testing.assert_allclose(result["metrics"]["loss"], losses, rtol=1e-10, atol=1e-12)


def test_fedavg_with_two_local_steps_is_not_gradient_descent(quad_config, tmp_path):
    """The comparison above can fail: two local steps already differ from GD."""
    cfg = quad_config(algorithm="fedavg", local_lr=0.3, number_of_local_iters=2, rounds=5)
    result = run(cfg, out=tmp_path / "r.bin")
    x_gd, _ = pooled_gd(cfg, 0.3, 5)
    assert np.abs(result["final_params"] - x_gd).max() > 1e-3
