"""Logistic regression on a LIBSVM file written by scikit-learn: FedAvg with one full-gradient
local step, full participation and data-size weights IS gradient descent on the pooled objective
(float64, 1e-10); the numpy reference below never touches the simulator's oracle."""

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from fl_pytorch import Config, run
from fl_pytorch.engine.simulation import build_simulation


@pytest.fixture
def libsvm_file(tmp_path):
    rng = np.random.default_rng(7)
    a = rng.normal(size=(120, 6)) * (rng.random((120, 6)) < 0.6)  # sparse-ish features
    b = np.where(a @ rng.normal(size=6) + 0.3 * rng.normal(size=120) > 0, 1, -1)
    path = tmp_path / "generated.svm"
    dump_svmlight_file(a, b, str(path), zero_based=False)
    return path


def config(path, **changes):
    base = dict(dataset="libsvm", data_path=str(path), offline=True, model="logistic_regression",
                loss="logistic", algorithm="fedavg", compute_type="fp64", num_clients=5,
                client_sampling_type="full", algorithm_options="internal_sgd:full-gradient",
                run_local_steps=True, number_of_local_iters=1, client_weights="data-size",
                global_lr=1.0, local_lr=0.5, rounds=30, quiet=True)
    base.update(changes)
    return Config(**base)


def numpy_gd(cfg, lr, rounds, alpha):
    """GD on mean_j log(1 + exp(-b_j a_j^T x)) + alpha/2 ||x||^2 from the simulator's x0."""
    sim = build_simulation(cfg)
    a, b = sim.dataset.x.to_dense().numpy(), sim.dataset.y.numpy()
    x = sim.x0.numpy().copy()

    def f(x):
        return np.mean(np.logaddexp(0.0, -b * (a @ x))) + 0.5 * alpha * x @ x

    losses = [f(x)]
    for _ in range(rounds):
        sigma = 1.0 / (1.0 + np.exp(b * (a @ x)))  # = sigmoid(-b a^T x)
        x = x - lr * (-(a * (b * sigma)[:, None]).mean(axis=0) + alpha * x)
        losses.append(f(x))
    return x, np.array(losses), sim.dataset.info["L"]


@pytest.mark.parametrize("alpha", [0.0, 0.05])
def test_fedavg_one_full_step_is_centralized_gradient_descent(libsvm_file, tmp_path, alpha):
    cfg = config(libsvm_file, global_regulizer="cvx_l2norm" if alpha else "none",
                 global_regulizer_alpha=alpha)
    result = run(cfg, out=tmp_path / "r.bin")
    x_gd, losses, _ = numpy_gd(cfg, 0.5, 30, alpha)
    assert np.abs(result["final_params"] - x_gd).max() < 1e-10
    np.testing.assert_allclose(result["metrics"]["loss"], losses, rtol=1e-10, atol=1e-12)
    assert losses[-1] < 0.8 * losses[0]  # and it did learn something


def test_two_local_steps_are_not_gradient_descent(libsvm_file, tmp_path):
    """The comparison above can fail: two local steps already differ from GD."""
    cfg = config(libsvm_file, number_of_local_iters=2, rounds=5)
    result = run(cfg, out=tmp_path / "r.bin")
    x_gd, _, _ = numpy_gd(cfg, 0.5, 5, 0.0)
    assert np.abs(result["final_params"] - x_gd).max() > 1e-4


def test_step_one_over_l_from_dataset_info_decreases_the_objective(libsvm_file, tmp_path):
    _, _, big_l = numpy_gd(config(libsvm_file), 0.0, 0, 0.0)
    cfg = config(libsvm_file, local_lr=1.0 / big_l, rounds=20)
    losses = run(cfg, out=tmp_path / "r.bin")["metrics"]["loss"]
    assert np.all(np.diff(losses) < 0)  # 1/L-smooth descent lemma: monotone decrease
