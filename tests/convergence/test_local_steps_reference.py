"""Gradient methods with K local steps follow the original FL_PyTorch's local-step semantics.

An independent NumPy (float64) implementation of DCGD, DIANA and MARINA with K local steps on the
quadratic problem: every local step evaluates the method's direction at the local iterate (the
original's ``localGradientEvaluation``), the local SGD step moves along it, and the server forms
its direction from the mean model change ``x - y_i`` (divided by the local learning rate; with
``--local-lr 1`` that is the original's formula exactly). Randomness (the Bernoulli compressor's
coins and MARINA's shared coin) is drawn from the simulator's documented per-(seed, round, stream)
generators, in the order the method draws it.
"""

import numpy as np
import pytest
import torch

from fl_pytorch import run
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.utils.rng import SERVER, generator

SPEC = "clients:4,samples_per_client:12,variables:5,homogeneous:0,l:5,mu:1"
P_COMPRESSOR = 0.8  # bernulli:0.8, omega = 0.25: DIANA's alpha and MARINA's p are 0.8


def _config(quad_config, algorithm, steps, local_lr, per_round=4, rounds=12):
    sampling = dict(client_sampling_type="full") if per_round == 4 else dict(
        client_sampling_type="uniform", num_clients_per_round=per_round)
    return quad_config(algorithm=algorithm, dataset_generation_spec=SPEC, rounds=rounds,
                       number_of_local_iters=steps, local_lr=local_lr, global_lr=0.15,
                       client_compressor=f"bernulli:{P_COMPRESSOR}", manual_runtime_seed=7,
                       **sampling)


def _bernoulli(v, gen):
    coin = torch.rand((), generator=gen).item() < P_COMPRESSOR
    return v / P_COMPRESSOR if coin else np.zeros_like(v), 1 + (v.size * 64 if coin else 0)


def reference(cfg):
    """(final x, total uplink bits) of the method, computed with NumPy."""
    sim = build_simulation(cfg)
    data = [(sim.dataset.x[ix].numpy(), sim.dataset.y[ix].numpy())
            for ix in sim.dataset.client_indices]
    grad = [lambda z, a=a, b=b: 2.0 / len(b) * a.T @ (a @ z - b) for a, b in data]
    n, d, seed, alg = len(data), sim.dim, cfg.manual_runtime_seed, cfg.algorithm
    lr_l, lr_g, steps = cfg.local_lr, cfg.global_lr, cfg.number_of_local_iters
    x = sim.x0.numpy().copy()
    h = np.zeros(d)  # DIANA's shifts: 0, or the full gradient at x0 (the original's policy)
    if cfg.initialize_shifts_policy == "full_gradient_at_start":
        h = np.mean([grad[i](x) for i in range(n)], axis=0)  # uniform weights
    h_i = [h.copy() for _ in range(n)]
    g, x_prev = np.zeros(d), x.copy()  # MARINA
    bits = 0
    for t in range(cfg.rounds):
        server = generator(seed, t, SERVER)
        clients = range(n) if cfg.client_sampling_type == "full" else sorted(
            torch.randperm(n, generator=server)[:cfg.num_clients_per_round].tolist())
        full = t == 0 or torch.rand((), generator=server, dtype=torch.float64).item() \
            < P_COMPRESSOR
        deltas = []
        for i in clients:
            gen, y = generator(seed, t, i), x.copy()
            for _ in range(steps):
                if alg == "dcgd":
                    step, b = _bernoulli(grad[i](y), gen)
                elif alg == "diana":
                    step, b = _bernoulli(grad[i](y) - h_i[i], gen)
                    h_i[i] = h_i[i] + P_COMPRESSOR * step
                elif full:  # marina, synchronization round
                    step, b = grad[i](y), d * 64
                else:
                    m, b = _bernoulli(grad[i](y) - grad[i](x_prev), gen)
                    step = g + m
                y = y - lr_l * step
                bits += b
            deltas.append(x - y)
        mean_change = np.mean(deltas, axis=0) / lr_l  # the original: mean(x - y_i) at lr 1
        if alg == "diana":
            direction = h + mean_change
            h = h + P_COMPRESSOR * mean_change
        else:
            direction = mean_change
        if alg == "marina":
            g, x_prev = direction, x.copy()
        x = x - lr_g * direction
    return x, bits


@pytest.mark.parametrize("algorithm", ["dcgd", "diana", "marina"])
@pytest.mark.parametrize("local_lr,per_round", [(1.0, 4), (0.2, 4), (0.5, 2)])
def test_local_steps_match_numpy_reference_of_the_original(quad_config, tmp_path, algorithm,
                                                           local_lr, per_round):
    """Full participation, and client sampling (2 of 4) as the original runs it."""
    finals = {}
    for steps in (1, 5):
        cfg = _config(quad_config, algorithm, steps, local_lr, per_round)
        result = run(cfg, out=tmp_path / f"{steps}.bin")
        assert result["status"] == "finished", result["error"]
        x_ref, bits = reference(cfg)
        np.testing.assert_allclose(result["final_params"], x_ref, rtol=1e-10, atol=1e-12)
        assert result["metrics"]["bits_up_cum"][-1] == bits
        finals[steps] = result["final_params"]
    assert np.abs(finals[5] - finals[1]).max() > 1e-3  # -li 5 is not ignored


def test_one_local_step_is_the_papers_diana_whatever_the_local_lr(quad_config, tmp_path):
    a = run(_config(quad_config, "diana", 1, 1.0), out=tmp_path / "a.bin")
    b = run(_config(quad_config, "diana", 1, 0.01), out=tmp_path / "b.bin")
    np.testing.assert_allclose(a["final_params"], b["final_params"], rtol=1e-12, atol=1e-14)


def test_shifts_can_start_at_the_full_gradient_as_in_the_original(quad_config, tmp_path):
    for steps in (1, 5):
        cfg = _config(quad_config, "diana", steps, 0.5).replace(
            initialize_shifts_policy="full_gradient_at_start")
        result = run(cfg, out=tmp_path / "r.bin")
        zero = run(cfg.replace(initialize_shifts_policy="zero"), out=tmp_path / "z.bin")
        np.testing.assert_allclose(result["final_params"], reference(cfg)[0], rtol=1e-10,
                                   atol=1e-12)
        assert np.abs(result["final_params"] - zero["final_params"]).max() > 1e-6
