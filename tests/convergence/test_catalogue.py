"""The algorithm catalogue on problems with a known minimizer x* (float64).

Oracles: the closed-form x* of the quadratic, the gradient-oracle counts predicted by GradSkip's
and PAGE's coin probabilities (binomial/geometric statistics), and NumPy re-implementations of
the FedOpt server optimizers on the pooled objective.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fl_pytorch import run
from fl_pytorch.engine.simulation import build_simulation

from .problems import HETERO, register

SPEC = "clients:10,samples_per_client:50,variables:10,homogeneous:0,l:2,mu:1,noise:1.0"


def _run(quad_config, tmp_path, algorithm, **changes):
    changes.setdefault("dataset_generation_spec", SPEC)
    cfg = quad_config(algorithm=algorithm, eval_every=changes.pop("eval_every", 10), **changes)
    result = run(cfg, out=tmp_path / f"{algorithm}.bin")
    assert result["status"] == "finished", result["error"]
    return result


def test_ef21_with_topk_reaches_the_minimizer_and_dcgd_does_not(quad_config, tmp_path):
    ef21 = _run(quad_config, tmp_path, "ef21", client_compressor="topk:3", rounds=400,
                algorithm_options="internal_sgd:full-gradient,th_stepsize_cvx")
    gamma = ef21["metrics"]["lr_global"][-1]
    alpha, mu, big_l = 0.3, 1.0, 2.0  # top-3 of d = 10; L = L_i = 2
    theta = 1 - math.sqrt(1 - alpha)
    assert gamma == pytest.approx(min(1 / (big_l + big_l * math.sqrt(2 * (1 - alpha)) / theta),
                                      theta / (2 * mu)))
    assert ef21["metrics"]["dist_to_solution"][-1] < 1e-6
    dcgd = _run(quad_config, tmp_path, "dcgd", client_compressor="topk:3", rounds=400,
                global_lr=gamma)
    assert dcgd["metrics"]["dist_to_solution"][-1] > 1e-2  # a biased fixed point


PARTIAL = {"uniform": dict(client_sampling_type="uniform", num_clients_per_round=5),
           "poisson": dict(client_sampling_type="poisson", client_sampling_poisson=0.5)}


@pytest.mark.parametrize("sampling", list(PARTIAL))
@pytest.mark.parametrize("algorithm,flag,compressor", [
    ("pp-marina", "th_stepsize_cvx", "randk:30%"), ("cofig", "th_stepsize_cvx", "randk:30%"),
    ("frecon", "th_stepsize_noncvx", "randk:30%"), ("ef21-pp", "th_stepsize_cvx", "topk:3")])
def test_partial_participation_methods_reach_the_minimizer(quad_config, tmp_path, algorithm,
                                                           flag, compressor, sampling):
    result = _run(quad_config, tmp_path, algorithm, client_compressor=compressor, rounds=600,
                  algorithm_options=f"internal_sgd:full-gradient,{flag}", **PARTIAL[sampling])
    clients = result["metrics"]["clients_in_round"][1:]
    assert clients.min() < 10  # partial participation really happened
    assert result["metrics"]["dist_to_solution"][-1] < 1e-6


def test_gradskip_reaches_the_minimizer_with_fewer_gradients_where_q_says_so(quad_config,
                                                                             tmp_path):
    register()
    common = dict(dataset=HETERO, dataset_generation_spec="", rounds=150)
    cfg = quad_config(algorithm="gradskip", algorithm_options="internal_sgd:full-gradient,"
                      "th_stepsize_cvx", **common)
    options = build_simulation(cfg).options
    p, q = options["p"], np.array(options["q"])
    kappa = np.array([1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 16.0, 20.0])  # L_i / mu, mu = 1
    assert p == pytest.approx(1 / math.sqrt(20.0))
    np.testing.assert_allclose(q, 1 - (1 - 1 / kappa) / (1 - 1 / 20.0))  # stop probabilities
    result = _run(quad_config, tmp_path, "gradskip", algorithm_options="internal_sgd:"
                  "full-gradient,th_stepsize_cvx", **common)
    assert result["problem"]["theoretical_step_sizes"]["local_lr"] == pytest.approx(1 / 20.0)
    assert result["metrics"]["dist_to_solution"][-1] < 1e-6
    # Gradients per round of client i: min(round length ~ Geom(p), first eta = 0 ~ Geom(1-q_i))
    # ~ Geom(s_i), s_i = 1 - (1-p) q_i: mean 1/s_i, variance (1-s_i)/s_i^2.
    rounds = result["clients"]["rounds"]
    per_round = result["clients"]["oracle_grad_full"] / rounds
    s = 1 - (1 - p) * (1 - q)
    np.testing.assert_array_less(np.abs(per_round - 1 / s), 5 * np.sqrt((1 - s) / s**2 / rounds))
    assert (per_round[:3] < 0.6 * per_round[-1]).all()
    proxskip = _run(quad_config, tmp_path, "gradskip", algorithm_options="internal_sgd:"
                    "full-gradient,q:proxskip,th_stepsize_cvx", **common)
    assert proxskip["metrics"]["dist_to_solution"][-1] < 1e-6
    assert result["clients"]["oracle_grad_full"].sum() < \
        0.8 * proxskip["clients"]["oracle_grad_full"].sum()


def test_page_converges_on_least_squares_with_minibatches(quad_config, tmp_path):
    rounds, n, m, b = 300, 10, 50, 5
    changes = dict(rounds=rounds, global_lr=0.1, algorithm_options="internal_sgd:sgd",
                   batch_size=b)
    page = _run(quad_config, tmp_path, "page", **changes)
    assert page["metrics"]["dist_to_solution"][-1] < 1e-6
    sgd = _run(quad_config, tmp_path, "dcgd", **changes)  # plain minibatch SGD: a noise floor
    assert sgd["metrics"]["dist_to_solution"][-1] > 1e-2
    # Oracle accounting: a full round costs n full local gradients (n m samples), another round
    # n minibatch differences (2 n b samples); full rounds ~ 1 + Binomial(rounds - 1, b/(b+m)).
    full_rounds = page["metrics"]["oracle_grad_full"][-1] / n
    assert full_rounds.is_integer()
    assert page["metrics"]["oracle_grad_samples"][-1] == \
        full_rounds * n * m + (rounds - full_rounds) * 2 * n * b
    p = b / (b + m)
    assert abs(full_rounds - 1 - (rounds - 1) * p) < 5 * math.sqrt((rounds - 1) * p * (1 - p))


def _server_reference(name, grad, x0, lr, rounds, momentum):
    """NumPy server optimizers on the pseudo-gradient G = local_lr * grad f(x)."""
    x, state = x0.copy(), {}
    for t in range(1, rounds + 1):
        g = 0.3 * grad(x)
        if name == "fedavgm":  # torch SGD momentum: buf = mu buf + g
            state["buf"] = momentum * state.get("buf", 0.0) + g
            x = x - lr * state["buf"]
        elif name == "fedadagrad":
            state["sum"] = state.get("sum", 0.0) + g * g
            x = x - lr * g / (np.sqrt(state["sum"]) + 1e-10)
        elif name == "fedadam":
            state["m"] = 0.9 * state.get("m", 0.0) + 0.1 * g
            state["v"] = 0.999 * state.get("v", 0.0) + 0.001 * g * g
            denom = np.sqrt(state["v"]) / math.sqrt(1 - 0.999**t) + 1e-8
            x = x - lr / (1 - 0.9**t) * state["m"] / denom
        else:  # fedyogi (Zaheer et al. 2018, Algorithm 2; FedYogi's defaults)
            state["m"] = 0.9 * state.get("m", 0.0) + 0.1 * g
            v = state.get("v", np.full_like(x, 1e-6))
            state["v"] = v - 0.01 * np.sign(v - g * g) * g * g
            x = x - lr * state["m"] / (np.sqrt(state["v"]) + 1e-3)
    return x


@pytest.mark.parametrize("name,lr", [("fedavgm", 1.0), ("fedadagrad", 0.3), ("fedadam", 0.05),
                                     ("fedyogi", 0.05)])
def test_fedopt_server_optimizers_converge_and_use_their_state(quad_config, tmp_path, name, lr):
    changes = dict(global_lr=lr, local_lr=0.3, global_momentum=0.5)
    short = _run(quad_config, tmp_path, name, rounds=30, **changes)
    sim = build_simulation(quad_config(dataset_generation_spec=SPEC))
    a, b = sim.dataset.x.numpy(), sim.dataset.y.numpy()
    reference = _server_reference(name, lambda x: 2.0 / len(b) * a.T @ (a @ x - b),
                                  sim.x0.numpy(), lr, 30, 0.5)
    np.testing.assert_allclose(short["final_params"], reference, rtol=0, atol=1e-9)
    early = _run(quad_config, tmp_path, name, rounds=5, **changes)["final_params"]
    fedavg = _run(quad_config, tmp_path, "fedavg", rounds=5, global_lr=lr, local_lr=0.3)
    assert np.abs(early - fedavg["final_params"]).max() > 1e-2  # the server state matters
    long = _run(quad_config, tmp_path, name, rounds=400, **changes)
    assert long["metrics"]["dist_to_solution"][-1] < 1e-6


def test_compressed_downlink_keeps_the_exact_minimizer(quad_config, tmp_path):
    result = _run(quad_config, tmp_path, "fedavg", rounds=200, local_lr=0.3,
                  server_compressor="topk:3")
    per_client = 3 * (64 + 4)  # top-3 of d = 10 in fp64: values and 4-bit indices
    m = result["metrics"]
    np.testing.assert_array_equal(m["bits_down_round"][1:], per_client * m["clients_in_round"][1:])
    assert m["dist_to_solution"][-1] < 1e-6
    assert m["dist_to_solution"][10] > 2 * _run(quad_config, tmp_path, "fedavg", rounds=10,
                                                local_lr=0.3)["metrics"]["dist_to_solution"][-1]
