"""The system model in the round loop: simulated time, dropout and deadlines end to end.

The round times are recomputed here from the result file alone (the devices in
``result["system"]``, the bits and oracle calls in the metrics and per-client totals), and the
model a deadline leaves behind is recomputed with NumPy (FedAvg on the quadratic problem without
the late clients).
"""

import numpy as np
import pytest

from fl_pytorch import Config, load_result, run
from fl_pytorch.cli import main
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.heterogeneity import SystemModel, deadline_for_fraction

N = 10
ROUNDS = 6
SPEC = f"clients:{N},samples_per_client:8,variables:4,homogeneous:0,l:3,mu:1"
LR_LOCAL, LR_GLOBAL, STEPS = 0.1, 0.8, 2


@pytest.fixture
def system_config(quad_config):
    def make(**changes) -> Config:
        base = dict(dataset_generation_spec=SPEC, rounds=ROUNDS, number_of_local_iters=STEPS,
                    local_lr=LR_LOCAL, global_lr=LR_GLOBAL, client_profile="lognormal:1",
                    manual_init_seed=5, manual_runtime_seed=9)
        return quad_config(**{**base, **changes})
    return make


def _client_times(result):
    """T_i of every client in a round, from the result file (every round does the same work)."""
    devices, clients, m = result["system"], result["clients"], result["metrics"]
    rounds = clients["rounds"]
    samples = clients["oracle_grad_samples"] / rounds
    bits_up = clients["bits_up"] / rounds
    bits_down = m["bits_down_round"][1] / m["clients_in_round"][1]
    dim = len(result["final_params"])
    return (2 * devices["latency_s"] + bits_down / devices["down_bps"]
            + 6.0 * dim * samples / devices["flops"] + bits_up / devices["up_bps"])


def _fedavg(cfg, kept):
    """FedAvg with STEPS full-gradient local steps over the ``kept`` clients, in NumPy."""
    sim = build_simulation(cfg)
    data = [(sim.dataset.x[ix].numpy(), sim.dataset.y[ix].numpy())
            for ix in sim.dataset.client_indices]
    x = sim.x0.numpy().copy()
    for _ in range(cfg.rounds):
        changes = []
        for i in kept:
            a, b = data[i]
            y = x.copy()
            for _ in range(STEPS):
                y = y - LR_LOCAL * 2.0 / len(b) * a.T @ (a @ y - b)
            changes.append(x - y)
        x = x - LR_GLOBAL * np.mean(changes, axis=0)
    return x


def test_round_time_is_the_slowest_clients_download_compute_and_upload(system_config,
                                                                       tmp_path):
    cfg = system_config()
    result = run(cfg, out=tmp_path / "r.bin")
    times = _client_times(result)
    m = result["metrics"]
    assert m["sim_time"][0] == m["sim_time_cum"][0] == 0.0
    np.testing.assert_allclose(m["sim_time"][1:], times.max(), rtol=1e-12)
    np.testing.assert_allclose(m["sim_time_cum"], np.arange(ROUNDS + 1) * times.max(), rtol=1e-12)
    assert (m["clients_dropped"] == 0).all() and (m["clients_late"] == 0).all()
    np.testing.assert_allclose(result["final_params"], _fedavg(cfg, range(N)), rtol=0,
                               atol=1e-12)
    assert load_result(tmp_path / "r.bin")["system"]["spec"] == "lognormal:1"


def test_a_deadline_drops_the_slowest_20_percent_and_the_model_ignores_them(system_config,
                                                                            tmp_path):
    free = run(system_config(), out=tmp_path / "free.bin")
    times = _client_times(free)
    deadline = deadline_for_fraction(times, 0.2)
    slowest = sorted(np.argsort(times)[-2:].tolist())
    cfg = system_config(round_deadline=deadline)
    timed = run(cfg, out=tmp_path / "timed.bin")
    m, clients = timed["metrics"], timed["clients"]
    assert (m["clients_late"][1:] == 2).all() and (m["clients_in_round"][1:] == N - 2).all()
    np.testing.assert_array_equal(m["sim_time"][1:], deadline)
    assert deadline < free["metrics"]["sim_time"][1]
    assert np.flatnonzero(clients["late"]).tolist() == slowest
    assert (clients["late"][slowest] == ROUNDS).all() and (clients["rounds"][slowest] == 0).all()
    assert clients["rounds"].sum() == ROUNDS * (N - 2)
    kept = [i for i in range(N) if i not in slowest]
    np.testing.assert_allclose(timed["final_params"], _fedavg(cfg, kept), rtol=0, atol=1e-12)
    # late clients received the broadcast: the downlink counts them
    assert m["bits_down_round"][1] == free["metrics"]["bits_down_round"][1]


def test_dropout_follows_the_coins_of_seed_round_and_client(system_config, tmp_path):
    cfg = system_config(client_dropout=0.3)
    result = run(cfg, out=tmp_path / "r.bin")
    model = SystemModel.from_config(cfg, N)
    dropped = [model.dropped(t, range(N)) for t in range(ROUNDS)]
    assert sum(map(len, dropped)) > 0
    m, clients = result["metrics"], result["clients"]
    assert m["clients_dropped"][1:].tolist() == [len(d) for d in dropped]
    assert m["clients_in_round"][1:].tolist() == [N - len(d) for d in dropped]
    assert (clients["dropped"] + clients["rounds"] == ROUNDS).all()
    per_client = np.zeros(N, dtype=np.int64)
    for d in dropped:
        per_client[d] += 1
    np.testing.assert_array_equal(clients["dropped"], per_client)


def test_dropout_and_deadline_runs_are_identical_across_repeats_and_thread_counts(
        system_config, tmp_path):
    deadline = deadline_for_fraction(_client_times(run(system_config(), out=tmp_path / "f.bin")),
                                     0.3)
    runs = [run(system_config(client_dropout=0.2, round_deadline=deadline, client_sampling_type=
                              "uniform", num_clients_per_round=6, threadpool_for_local_opt=t),
                out=tmp_path / f"{k}.bin") for k, t in enumerate(["0", "0", "2"])]
    first = runs[0]
    assert first["metrics"]["clients_late"].sum() > 0 and first["metrics"]["clients_dropped"].sum()
    for other in runs[1:]:
        for name in ("sim_time", "sim_time_cum", "clients_dropped", "clients_late",
                     "clients_in_round"):
            np.testing.assert_array_equal(other["metrics"][name], first["metrics"][name])
        assert other["final_params"].tobytes() == first["final_params"].tobytes()


@pytest.mark.parametrize("algorithm", ["fedavg", "scaffold"])
def test_the_vectorized_executor_drops_the_same_clients_and_reaches_the_same_model(
        system_config, tmp_path, algorithm):
    deadline = deadline_for_fraction(_client_times(run(system_config(), out=tmp_path / "f.bin")),
                                     0.3)
    changes = dict(algorithm=algorithm, client_dropout=0.2, round_deadline=deadline,
                   client_sampling_type="uniform", num_clients_per_round=6)
    one_by_one, batched = (run(system_config(**changes, threadpool_for_local_opt=t),
                               out=tmp_path / f"{t}.bin") for t in ("0", "vectorized"))
    assert batched["environment"]["executor"].startswith("vectorized")
    assert one_by_one["metrics"]["clients_late"].sum() > 0
    for name in ("sim_time", "clients_dropped", "clients_late", "clients_in_round",
                 "bits_up_cum"):
        np.testing.assert_allclose(batched["metrics"][name], one_by_one["metrics"][name],
                                   rtol=1e-12)
    for key in ("dropped", "late", "rounds", "bits_up"):
        np.testing.assert_array_equal(batched["clients"][key], one_by_one["clients"][key])
    np.testing.assert_allclose(batched["final_params"], one_by_one["final_params"], rtol=0,
                               atol=1e-12)


def test_a_resumed_run_continues_the_simulated_clock(system_config, tmp_path):
    changes = dict(client_dropout=0.2, client_sampling_type="uniform", num_clients_per_round=5)
    straight = run(system_config(**changes), out=tmp_path / "straight.bin")
    run(system_config(**changes, rounds=3, checkpoint_every=3, checkpoint_dir=str(tmp_path)),
        out=tmp_path / "half.bin")
    resumed = run(system_config(**changes, resume_from=str(tmp_path / "half.ckpt")),
                  out=tmp_path / "rest.bin")
    for name in ("sim_time_cum", "clients_dropped"):
        np.testing.assert_array_equal(resumed["metrics"][name], straight["metrics"][name])
    for key in ("dropped", "late", "rounds"):
        np.testing.assert_array_equal(resumed["clients"][key], straight["clients"][key])
    assert resumed["final_params"].tobytes() == straight["final_params"].tobytes()


BASE = ["--dataset", "generated_for_quadratic_minimization", "--model", "linear", "--loss",
        "mse", "--compute-type", "fp64", "--rounds", "1", "--quiet"]


@pytest.mark.parametrize("flag, value", [("--client-dropout", "0.1"),
                                         ("--round-deadline", "2")])
def test_an_algorithm_that_needs_every_client_refuses_dropout_and_deadlines(flag, value,
                                                                            tmp_path, capsys):
    out = tmp_path / "r.bin"
    assert main([*BASE, "--algorithm", "gd", "--client-sampling-type", "full", flag, value,
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {flag}: invalid value") and "'gd'" in err
    assert "every client in every round" in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_a_deadline_with_remote_workers_is_refused(tmp_path, capsys):
    out = tmp_path / "r.bin"
    assert main([*BASE, "--round-deadline", "2", "--external-devices", "127.0.0.1:1:cpu",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --round-deadline: invalid value 2.0 with --external-devices")
    assert len(err.splitlines()) == 1 and not out.exists()
