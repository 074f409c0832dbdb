"""FedNL's maths on a small logistic regression (float64), against an independent NumPy Newton.

* identity compressor, alpha = 1, option 1: every step is Newton's (to 1e-10), and the gradient
  norm falls quadratically;
* Top-K: superlinear convergence to a gradient norm below 1e-12;
* FedNL-LS and FedNL-PP converge from a far starting point;
* the bits of a round follow the message formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fl_pytorch import run
from fl_pytorch.engine.engine import Engine
from fl_pytorch.engine.simulation import build_simulation

from .fednl_problem import (
    CLIENTS,
    FEATURES,
    config,
    initial_point,
    numpy_data,
    numpy_fednl_topk,
    numpy_newton,
    write_libsvm,
)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return write_libsvm(tmp_path_factory.mktemp("fednl") / "small.svm")


def test_identity_compressor_with_alpha_one_takes_exactly_newtons_steps(data_file, tmp_path):
    cfg = config(data_file, "fednl", "compressor:ident,alpha:1,option:1", rounds=7)
    result = run(cfg, out=tmp_path / "r.bin")
    assert result["status"] == "finished", result["error"]
    a, b = numpy_data(data_file)
    xs = numpy_newton(a, b, initial_point(cfg), 7)
    steps = [np.linalg.norm(x1 - x0) for x0, x1 in zip(xs, xs[1:])]
    np.testing.assert_allclose(result["metrics"]["direction_norm"][1:], steps, rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(result["final_params"], xs[-1], rtol=0, atol=1e-10)
    grad = result["metrics"]["full_gradient_norm_train"]
    assert grad[-1] < 1e-14
    big = [k for k in range(len(grad) - 1) if 1e-13 < grad[k + 1] and grad[k] < 1e-1]
    assert big and all(grad[k + 1] <= 10.0 * grad[k] ** 2 for k in big)  # quadratic


def test_topk_converges_superlinearly_below_1e_12(data_file, tmp_path):
    result = run(config(data_file, "fednl", "compressor:topk:2d", rounds=16),
                 out=tmp_path / "r.bin")
    grad = result["metrics"]["full_gradient_norm_train"]
    assert grad[-1] < 1e-12
    ratios = grad[1:] / grad[:-1]
    tail = ratios[grad[1:] > 1e-13][-4:]  # above the rounding floor
    assert tail[-1] < 1e-2 and np.all(np.diff(tail) < 0)  # the contraction factor -> 0
    assert result["metrics"]["hessian_error"][-1] < 1e-6 * result["metrics"]["hessian_error"][2]


def _run_from(cfg, start: float):
    sim = build_simulation(cfg)
    sim.x0 = torch.full_like(sim.x0, start)
    result = Engine(sim).run()
    assert result["status"] == "finished", result["error"]
    return result["metrics"]


def test_fednl_ls_converges_from_a_far_start_with_backtracking(data_file):
    metrics = _run_from(config(data_file, "fednl-ls", "compressor:topk:2d", rounds=25), 8.0)
    assert metrics["full_gradient_norm_train"][-1] < 1e-10
    assert metrics["line_search_steps"][1:6].max() >= 1  # far away, unit steps overshoot
    assert metrics["line_search_steps"][-1] == 0
    assert np.all(np.diff(metrics["loss"]) <= 1e-12)  # every accepted step decreases f


def test_fednl_pp_converges_from_a_far_start_with_partial_participation(data_file):
    cfg = config(data_file, "fednl-pp", "compressor:topk:2d", rounds=40,
                 client_sampling_type="uniform", num_clients_per_round=2)
    metrics = _run_from(cfg, 3.0)
    assert metrics["clients_in_round"][1] == CLIENTS and metrics["clients_in_round"][2] == 2
    assert metrics["full_gradient_norm_train"][-1] < 1e-8


def test_round_bits_follow_the_message_formulas(data_file, tmp_path):
    d = FEATURES + 1
    size, k = d * (d + 1) // 2, 2 * d
    result = run(config(data_file, "fednl", "compressor:topk:2d", rounds=3),
                 out=tmp_path / "r.bin")
    bits = result["metrics"]["bits_up_round"]
    assert bits[1] == CLIENTS * (d + size) * 64  # round 0: gradients and Hessians at x0
    index = int(np.ceil(np.log2(size)))
    assert bits[2] == CLIENTS * (d * 64 + k * (64 + index) + 64)  # g, Top-K, l (option 2)
    assert result["metrics"]["bits_down_round"][2] == CLIENTS * d * 64


def test_gd_baseline_steps_are_the_classical_ones(quad_config, tmp_path):
    def sizes(flag):  # the quadratic: L = 2, mu = 1
        return build_simulation(quad_config(algorithm="gd", algorithm_options=flag)).step_sizes
    assert sizes("th_stepsize_cvx").global_lr == pytest.approx(2 / 3)
    assert sizes("th_stepsize_noncvx").global_lr == pytest.approx(1 / 2)
    result = run(quad_config(algorithm="gd", algorithm_options="th_stepsize_cvx", rounds=60),
                 out=tmp_path / "gd.bin")
    assert result["metrics"]["dist_to_solution"][-1] < 1e-9
    assert result["metrics"]["grad_norm"][-1] < 1e-8


def test_fednl_pp_initializes_in_its_first_round_with_clients(data_file, tmp_path):
    cfg = config(data_file, "fednl-pp", "compressor:topk:2d", rounds=30,
                 client_sampling_type="poisson", client_sampling_poisson=0.2,
                 manual_runtime_seed=0)  # its round 0 samples nobody
    metrics = run(cfg, out=tmp_path / "r.bin")["metrics"]
    clients = metrics["clients_in_round"][1:]
    first = int(np.flatnonzero(clients)[0])
    assert first > 0 and clients[first] == CLIENTS  # rounds before it sampled nobody
    assert clients[first + 1:].max() < CLIENTS
    assert metrics["full_gradient_norm_train"][-1] < 1e-6


def test_topk_fednl_matches_an_independent_numpy_fednl(data_file, tmp_path):
    cfg = config(data_file, "fednl", "compressor:topk:2d", rounds=8)
    result = run(cfg, out=tmp_path / "r.bin")
    sim = build_simulation(cfg)  # the run's split: clients are consecutive blocks of its rows
    a = sim.dataset.x.to_dense().numpy()  # LIBSVM samples are held sparse
    xs = numpy_fednl_topk(a, sim.dataset.y.numpy(), sim.x0.numpy(), CLIENTS, 2 * (FEATURES + 1), 8)
    steps = [np.linalg.norm(x1 - x0) for x0, x1 in zip(xs, xs[1:])]
    np.testing.assert_allclose(result["metrics"]["direction_norm"][1:], steps, rtol=1e-9,
                               atol=1e-13)
    np.testing.assert_allclose(result["final_params"], xs[-1], rtol=0, atol=1e-10)
