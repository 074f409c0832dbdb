"""The original tool's meanings kept here: estimators, tau, counts, sampling, norms, subst."""

import math

import pytest
import torch

from fl_pytorch.cli_substitution import substitute
from fl_pytorch.compressors import parse_compressor
from fl_pytorch.core.batches import PERMUTATION_KEY, client_plan, steps_of, tau_samples
from fl_pytorch.core.sampling import sample_clients
from fl_pytorch.errors import ConfigError


def plan(estimator, n=20, tau="25%", iters=3, steps_mode=True, seed=0, state=None, **extra):
    options = {"internal_sgd": estimator, "tau": tau, **extra}
    return client_plan(options, n, 8, iters, steps_mode, torch.Generator().manual_seed(seed),
                       state or {})


def test_tau_is_the_ceiling_of_the_percentage():
    assert [tau_samples(t, 12) for t in ("1%", "10%", "25%", "50%", "100%", "3", "40")] == \
        [1, 2, 3, 6, 12, 3, 12]
    assert tau_samples("7%", 100) == 7  # exact decimal arithmetic: 0.07 * 100 is not 7.000001


def test_epoch_mode_takes_ceil_n_over_tau_steps_per_epoch():
    assert steps_of("sgd-nice", 12, 8, "25%", 2, False) == 2 * 4
    assert steps_of("sgd-us", 12, 8, "1", 1, False) == 12
    assert steps_of("iterated-minibatch", 12, 8, "5", 1, False) == 3
    assert steps_of("full-gradient", 12, 8, "25%", 3, False) == 3
    assert steps_of("sgd-multi", 12, 8, "25%", 5, True) == 5


def test_per_step_samplers():
    us, _ = plan("sgd-us", iters=200)
    assert all(b.numel() == 1 for b in us) and len({int(b) for b in us}) > 15
    nice, _ = plan("sgd-nice", iters=50)
    assert all(b.numel() == 5 and b.unique().numel() == 5 for b in nice)
    multi, _ = plan("sgd-multi", iters=200)
    assert all(b.numel() == 5 for b in multi)
    assert any(b.unique().numel() < 5 for b in multi)  # with replacement: repeats happen


def test_iterated_minibatch_walks_blocks_of_one_permutation_and_wraps():
    blocks, updates = plan("iterated-minibatch", n=10, tau="4", iters=3,
                           reshuffle="each_round")
    walk = torch.cat(blocks)
    assert updates == {} and walk.numel() == 12
    assert sorted(walk[:10].tolist()) == list(range(10)) and walk[10:].tolist() == \
        walk[:2].tolist()


def test_once_per_client_reuses_its_permutation_every_round():
    first, kept = plan("iterated-minibatch", seed=1, reshuffle="once_per_client")
    again, kept2 = plan("iterated-minibatch", seed=2, reshuffle="once_per_client", state=kept)
    fresh, _ = plan("iterated-minibatch", seed=2, reshuffle="each_round")
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    assert torch.equal(kept[PERMUTATION_KEY], kept2[PERMUTATION_KEY])
    assert [b.tolist() for b in fresh] != [b.tolist() for b in first]


def test_until_exhausted_continues_through_the_permutation_across_rounds():
    r1, s1 = plan("iterated-minibatch", n=20, tau="3", iters=2, reshuffle="until_exhausted")
    r2, s2 = plan("iterated-minibatch", n=20, tau="3", iters=2, seed=5,
                  reshuffle="until_exhausted", state=s1)
    r3, s3 = plan("iterated-minibatch", n=20, tau="3", iters=2, seed=6,
                  reshuffle="until_exhausted", state=s2)
    seen = torch.cat([*r1, *r2, *r3])
    assert seen.unique().numel() == 18  # 3 rounds x 6 samples, none repeated
    assert s3[PERMUTATION_KEY].numel() == 2
    r4, s4 = plan("iterated-minibatch", n=20, tau="3", iters=2, seed=7,
                  reshuffle="until_exhausted", state=s3)
    assert s4[PERMUTATION_KEY].numel() == 14  # fewer than 6 left: a new permutation


def test_poisson_no_empty_is_poisson_conditioned_on_a_participant():
    n, p, draws = 5, 0.2, 20_000
    gen = torch.Generator().manual_seed(0)
    counts, sizes = [0] * n, [0] * (n + 1)
    for _ in range(draws):
        sample = sample_clients("poisson-no-empty", n, 0, p, gen)
        sizes[len(sample)] += 1
        for i in sample:
            counts[i] += 1
    nonempty = 1 - (1 - p) ** n
    assert sizes[0] == 0
    for i in range(n):  # P(i in S | S non-empty) = p / (1 - (1-p)^n)
        expect = p / nonempty
        assert abs(counts[i] / draws - expect) < 5 * math.sqrt(expect / draws)
    for k in range(1, n + 1):
        expect = math.comb(n, k) * p**k * (1 - p) ** (n - k) / nonempty
        assert abs(sizes[k] / draws - expect) < 5 * math.sqrt(expect / draws) + 1e-3
    assert sample_clients("poisson-no-empty", 1000, 0, 1e-300, gen)  # never loops


def test_counts_and_norms_of_the_original():
    assert parse_compressor("randk:7%").compress(torch.ones(100), torch.Generator()).bits == \
        7 * (32 + 7)  # exactly 7% of 100 (floating point would give ceil(7.000000000000001))
    assert parse_compressor("randk:25%").compress(torch.ones(10), torch.Generator()).bits == \
        3 * (32 + 4)  # ceil(2.5) = 3 values and indices of 4 bits
    assert parse_compressor("randk:2.5").compress(torch.ones(10), torch.Generator()).bits == \
        3 * (32 + 4)
    assert parse_compressor("rank_k:5%").rank(100) == 5  # ceil(5% of d), of at most 10
    assert parse_compressor("rank_k:50%").rank(100) == 10
    assert parse_compressor("std.dithering:4").p == math.inf
    assert parse_compressor("nat.dithering:4").p == math.inf


def test_brace_substitution():
    argv = substitute(["--run-id", "{simcounter}_{algorithm}", "--algorithm", "dcgd",
                       "--comment", "{run-id}!", "--group-name", "{{literal}}"], counter=3)
    assert argv[1] == "3_dcgd" and argv[5] == "3_dcgd!" and argv[7] == "{literal}"
    with pytest.raises(ConfigError, match="^--comment: unknown substitution {nope}"):
        substitute(["--comment", "{nope}"])


def test_validation_metrics_on_a_test_split_and_half_precision(tmp_path):
    from fl_pytorch import Config, run
    cfg = Config(dataset="digits", model="small_cnn", loss="crossentropy", num_clients=4,
                 num_clients_per_round=4, rounds=1, compute_type="fp16", quiet=True,
                 extra_track="full_objective_value_val,full_gradient_norm_val")
    result = run(cfg, out=tmp_path / "r.bin")
    m = result["metrics"]
    assert result["final_params"].dtype.name == "float16"
    # the validation objective is the test loss (the same mean over the test samples)
    assert m["full_objective_value_val"][-1] == pytest.approx(m["loss"][-1], rel=1e-2)
    assert m["full_gradient_norm_val"][-1] > 0 and "top1_acc" in m
