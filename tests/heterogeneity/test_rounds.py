"""Round timing: the formula, dropout coins, deadlines that drop the slowest clients."""

import math

import numpy as np
import pytest

from fl_pytorch.heterogeneity import (
    INITIAL_ROW,
    ClientWork,
    SystemModel,
    build_profile,
    deadline_for_fraction,
    training_flops,
)


def _profile_file(tmp_path, rows):
    path = tmp_path / "p.csv"
    path.write_text("client,flops,up_bps,down_bps,latency_s\n"
                    + "".join(f"{i},{f},{u},{d},{lat}\n" for i, (f, u, d, lat) in enumerate(rows)))
    return f"file:{path}"


def test_client_time_is_download_plus_compute_plus_upload(tmp_path):
    spec = _profile_file(tmp_path, [(2e9, 1e6, 4e6, 0.03), (1e9, 5e5, 1e6, 0.01)])
    model = SystemModel(build_profile(spec, 2, 0))
    work = {0: ClientWork(5, 4e8, 2_000_000, 8_000_000), 1: ClientWork(2, 1e8, 100_000, 0)}
    timing = model.round_timing(0, [0, 1], work)
    t0 = (0.03 + 8e6 / 4e6) + 5 * 4e8 / 2e9 + (0.03 + 2e6 / 1e6)  # 2.03 + 1.0 + 2.03
    t1 = (0.01 + 0.0) + 2 * 1e8 / 1e9 + (0.01 + 1e5 / 5e5)        # 0.01 + 0.2 + 0.21
    assert timing.client_time == {0: pytest.approx(t0, rel=1e-15), 1: pytest.approx(t1)}
    assert timing.sim_time == pytest.approx(5.06) and timing.kept == [0, 1]
    assert timing.dropped == timing.late == []
    assert timing.row(10.0) == {"sim_time": timing.sim_time, "sim_time_cum": 10.0 + t0,
                                "clients_dropped": 0, "clients_late": 0}
    assert INITIAL_ROW == {"sim_time": 0.0, "sim_time_cum": 0.0, "clients_dropped": 0,
                           "clients_late": 0}


def test_training_flops_is_six_times_parameters_times_samples():
    assert training_flops(1000, 32) == 192000.0


def _work(clients, bits_up=64_000):
    return {i: ClientWork(10, training_flops(20_000, 32), bits_up, 640_000) for i in clients}


def test_a_deadline_that_drops_the_slowest_20_percent_shortens_every_round():
    n, rounds = 50, 20
    profile = build_profile("lognormal:1", n, seed=123)
    free = SystemModel(profile, seed=456)
    # the time of every client doing the same work, computed from the profile directly
    w = _work([0])[0]
    times = (profile.latency_s + w.bits_down / profile.down_bps + w.flops / profile.flops
             + profile.latency_s + w.bits_up / profile.up_bps)
    deadline = deadline_for_fraction(times, 0.2)
    slowest = set(np.argsort(times)[-10:].tolist())
    assert sum(t > deadline for t in times) == 10
    timed = SystemModel(profile, deadline=deadline, seed=456)
    rng, shortened = np.random.default_rng(0), 0
    for t in range(rounds):
        sampled = sorted(rng.choice(n, size=25, replace=False).tolist())
        a = free.round_timing(t, sampled, _work(sampled))
        b = timed.round_timing(t, sampled, _work(sampled))
        assert a.sim_time == pytest.approx(max(times[i] for i in sampled))
        assert b.late == sorted(slowest & set(sampled))       # the metric matches the profile
        assert b.kept == sorted(set(sampled) - slowest)
        assert b.sim_time == deadline < a.sim_time if b.late else b.sim_time == a.sim_time
        shortened += bool(b.late)
    assert shortened >= rounds // 2


def test_full_participation_with_the_deadline_drops_exactly_the_slowest_fifth():
    n = 40
    profile = build_profile("lognormal:0.8", n, seed=9)
    free = SystemModel(profile)
    times = free.round_timing(0, range(n), _work(range(n))).client_time
    deadline = deadline_for_fraction(list(times.values()), 0.2)
    timing = SystemModel(profile, deadline=deadline).round_timing(0, range(n), _work(range(n)))
    assert len(timing.late) == 8 and len(timing.kept) == 32
    assert max(times[i] for i in timing.kept) < deadline < min(times[i] for i in timing.late)
    assert timing.sim_time == deadline < max(times.values())


def test_dropout_coins_are_deterministic_and_independent_of_the_other_clients():
    model = SystemModel(build_profile("uniform", 100, 0), dropout=0.3, seed=77)
    everyone = model.dropped(5, range(100))
    assert model.dropped(5, range(100)) == everyone
    some = [3, 17, 42, 64, 99]
    assert model.dropped(5, some) == [i for i in some if i in everyone]
    assert model.dropped(6, range(100)) != everyone                # a new coin every round
    other_seed = SystemModel(model.profile, dropout=0.3, seed=78)
    assert other_seed.dropped(5, range(100)) != everyone


def test_dropped_count_matches_the_dropout_probability():
    p, n, rounds = 0.25, 200, 100
    model = SystemModel(build_profile("uniform", n, 0), dropout=p, seed=1)
    count = sum(len(model.dropped(t, range(n))) for t in range(rounds))
    trials = n * rounds  # binomial: 5 standard deviations
    assert abs(count - p * trials) < 5 * math.sqrt(trials * p * (1 - p))


def test_dropped_clients_need_no_work_and_cost_no_time():
    model = SystemModel(build_profile("lognormal:1", 30, 2), dropout=0.5, seed=3)
    sampled = list(range(30))
    dropped = model.dropped(4, sampled)
    kept = [i for i in sampled if i not in dropped]
    timing = model.round_timing(4, sampled, _work(kept))
    assert timing.dropped == dropped and timing.kept == kept
    assert timing.sim_time == max(model.client_time(i, _work([i])[i]) for i in kept)
    with pytest.raises(ValueError, match=f"round 4: no work given for client {kept[0]}"):
        model.round_timing(4, sampled, _work(kept[1:]))


def test_rounds_without_anyone_and_with_everyone_late():
    profile = build_profile("uniform", 4, 0)
    assert SystemModel(profile).round_timing(0, [], {}).sim_time == 0.0
    timing = SystemModel(profile, deadline=1e-6).round_timing(0, [1, 2], _work([1, 2]))
    assert timing.late == [1, 2] and timing.kept == [] and timing.sim_time == 1e-6


def test_compression_changes_the_round_time_by_the_upload_saved():
    profile = build_profile("lognormal:0.5", 10, 4)
    model = SystemModel(profile)
    full = model.round_timing(0, range(10), _work(range(10), bits_up=640_000))
    compressed = model.round_timing(0, range(10), _work(range(10), bits_up=64_000))
    for i in range(10):
        saved = (640_000 - 64_000) / profile.up_bps[i]
        assert full.client_time[i] - compressed.client_time[i] == pytest.approx(saved)


@pytest.mark.parametrize("kwargs, message", [
    (dict(dropout=1.0), "dropout 1.0 must be in"), (dict(deadline=-1.0), "deadline -1.0")])
def test_model_refuses_impossible_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SystemModel(build_profile("uniform", 2, 0), **kwargs)


def test_from_config_draws_devices_from_the_init_seed_and_coins_from_the_runtime_seed():
    from fl_pytorch import Config
    config = Config(client_profile="lognormal:0.5", client_dropout=0.2, round_deadline=3.0,
                    manual_init_seed=5, manual_runtime_seed=6)
    model = SystemModel.from_config(config, 12)
    assert np.array_equal(model.profile.flops, build_profile("lognormal:0.5", 12, 5).flops)
    assert (model.dropout, model.deadline, model.seed) == (0.2, 3.0, 6)
    described = model.describe()
    assert described["spec"] == "lognormal:0.5" and described["deadline"] == 3.0
    assert np.array_equal(described["up_bps"], model.profile.up_bps)


def test_the_worked_example_by_hand_in_the_docs():
    """docs/heterogeneity.md: the small CNN (d = 13,706) on the reference device."""
    model = SystemModel(build_profile("uniform", 1, 0))
    step = training_flops(13_706, 144)
    ident = model.client_time(0, ClientWork(1, step, 438_592, 438_592))
    randk = model.client_time(0, ClientWork(1, step, 63_066, 438_592))
    assert round(ident, 3) == 0.594 and round(randk, 3) == 0.219
    assert round(0.05 + 438_592 / 1e7, 4) == 0.0939 and round(step / 1e9, 4) == 0.0118
