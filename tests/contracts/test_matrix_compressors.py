"""Contract tests for every registered matrix compressor (FedNL's Hessian compression).

Driven by ``MATRIX_COMPRESSORS.names()`` through the example table: the bits each call reports
against the documented formula, Monte-Carlo unbiasedness and the omega it reports (unbiased
ones), the contraction bound of its delta (deterministic, or in expectation for TopLEK) with
worst cases where it is attained, and identical results on a sparse support and on the dense
layout for entry-wise compressors. All in float64 on symmetric matrices.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch

from fl_pytorch.compressors.matrix import (
    MATRIX_COMPRESSORS,
    Packed,
    parse_matrix_compressor,
    upper_size,
)

B = 64  # bits of a float64 value


def ib(d: int) -> int:
    """Bits of one packed position among D = d(d+1)/2."""
    return math.ceil(math.log2(upper_size(d)))


class Ex(NamedTuple):
    spec: str
    #: d -> the bits of one message (None: depends on the draw, checked by its own test)
    bits: Callable[[int], int] | None
    random: bool = True


EXAMPLES: dict[str, list[Ex]] = {
    "ident": [Ex("ident", lambda d: upper_size(d) * B, False)],
    "natural": [Ex("natural", lambda d: upper_size(d) * 12)],
    "topk": [Ex("topk:7", lambda d: min(7, upper_size(d)) * (B + ib(d)), False),
             Ex("topk:2d", lambda d: min(2 * d, upper_size(d)) * (B + ib(d)), False),
             Ex("topk:10%", lambda d: max(1, round(0.1 * upper_size(d))) * (B + ib(d)), False)],
    "toplek": [Ex("toplek:2d", None)],
    "randk": [Ex("randk:7", lambda d: min(7, upper_size(d)) * (B + ib(d))),
              Ex("randk:1d", lambda d: d * (B + ib(d)))],
    "randseqk": [Ex("randseqk:9", lambda d: min(9, upper_size(d)) * B + ib(d))],
    "rank": [Ex("rank:2", lambda d: min(2, d) * (d + 1) * B, False)],
}
ALL = [ex for exs in EXAMPLES.values() for ex in exs]
DIMS = [2, 5, 9]


def sym(d: int, seed: int, sparse: bool = False) -> torch.Tensor:
    """(D,) a random symmetric matrix, packed (some entries exactly zero if ``sparse``)."""
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(upper_size(d), generator=g, dtype=torch.float64)
    if sparse:
        u = u * (torch.rand(upper_size(d), generator=g, dtype=torch.float64) < 0.4)
    return u


def run(spec: str, u: torch.Tensor, d: int, seed: int) -> tuple[torch.Tensor, int]:
    message = parse_matrix_compressor(spec).compress(
        Packed.dense(u, d), [torch.Generator().manual_seed(seed)])
    return message.dense(u[None])[0], int(message.bits[0])


def run_many(spec: str, u: torch.Tensor, d: int, trials: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(trials, D) compressions of the one matrix u, each with its own generator, in one call."""
    m = Packed.dense(u.expand(trials, -1).contiguous(), d)
    message = parse_matrix_compressor(spec).compress(
        m, [torch.Generator().manual_seed(s) for s in range(trials)])
    return message.dense(m.values), message.bits


def fro2(u: torch.Tensor, d: int) -> float:
    return float(Packed.dense(u, d).frobenius_sq()[0])


def fro2_rows(u: torch.Tensor, d: int) -> torch.Tensor:
    return Packed.dense(u, d).frobenius_sq()


def test_every_registered_matrix_compressor_has_examples():
    assert sorted(EXAMPLES) == sorted(MATRIX_COMPRESSORS.names())


@pytest.mark.parametrize("ex", [ex for ex in ALL if ex.bits], ids=lambda ex: ex.spec)
@pytest.mark.parametrize("d", DIMS)
def test_bits_follow_the_documented_formula(ex, d):
    for seed in range(3):
        assert run(ex.spec, sym(d, seed), d, seed)[1] == ex.bits(d)


@pytest.mark.parametrize("spec", [ex.spec for ex in ALL
                                  if parse_matrix_compressor(ex.spec).unbiased])
def test_unbiased_compressors_are_unbiased_with_the_reported_omega(spec):
    d, trials = 5, 6000
    u = sym(d, 1)
    outs = run_many(spec, u, d, trials)[0]
    mean, spread = outs.mean(0), outs.std(0) / math.sqrt(trials)
    assert ((mean - u).abs() <= 5 * spread + 1e-12).all()
    variance = float(fro2_rows(outs - u, d).mean())
    omega = parse_matrix_compressor(spec).omega(d)
    assert variance <= omega * fro2(u, d) * 1.05 + 1e-12
    if spec.startswith("rand"):  # the variance of random sparsification is exactly omega
        assert variance == pytest.approx(omega * fro2(u, d), rel=0.05)


@pytest.mark.parametrize("spec", ["topk:7", "topk:2d", "rank:2"])
@pytest.mark.parametrize("d", DIMS)
def test_contractive_compressors_meet_their_bound_on_every_matrix(spec, d):
    delta = parse_matrix_compressor(spec).delta(d)
    for seed in range(20):
        u = sym(d, seed, sparse=seed % 2 == 1)
        out = run(spec, u, d, seed)[0]
        assert fro2(out - u, d) <= (1 - delta) * fro2(u, d) + 1e-12


def test_topk_bound_is_attained_by_a_diagonal_dominant_matrix():
    d, k = 6, 4  # the k kept entries are diagonal: a k/d^2 share of ||M||^2
    m = torch.ones(d, d, dtype=torch.float64) + 1e-9 * torch.eye(d, dtype=torch.float64)
    u = m[tuple(torch.triu_indices(d, d))]
    out = run(f"topk:{k}", u, d, 0)[0]
    assert fro2(out - u, d) / fro2(u, d) == pytest.approx(1 - k / d**2, rel=1e-6)


def test_rank_bound_is_attained_by_the_identity():
    d = 5
    u = torch.eye(d, dtype=torch.float64)[tuple(torch.triu_indices(d, d))]
    out = run("rank:2", u, d, 0)[0]
    assert fro2(out - u, d) == pytest.approx((1 - 2 / d) * fro2(u, d))


def test_topk_keeps_the_largest_entries_and_breaks_ties_by_position():
    d = 4
    u = torch.tensor([1.0, -5, 2, 2, 3, 2, 0, 4, 0, 0], dtype=torch.float64)
    out = run("topk:4", u, d, 0)[0]
    assert out.tolist() == [0, -5, 2, 0, 3, 0, 0, 4, 0, 0]  # the first of the tied 2s


def test_toplek_meets_the_contraction_in_expectation_with_at_most_k_entries():
    d, trials, spec = 6, 4000, "toplek:2d"
    comp = parse_matrix_compressor(spec)
    u = sym(d, 3)
    target = (1 - comp.delta(d)) * fro2(u, d)
    outs, bits = run_many(spec, u, d, trials)
    residuals = fro2_rows(outs - u, d)
    sent = (outs != 0).sum(1)
    assert (sent <= 2 * d).all() and torch.equal(bits, sent * (B + ib(d)) + 32)
    spread = residuals.std().item() / math.sqrt(trials)
    assert residuals.mean().item() == pytest.approx(target, abs=5 * spread)
    assert len(set(bits.tolist())) == 2  # t* - 1 or t* entries, at random
    assert bits.max() < 2 * d * (B + ib(d)) + 32  # fewer entries than Top-K


@pytest.mark.parametrize("spec", [ex.spec for ex in ALL if parse_matrix_compressor(ex.spec)
                                  .entrywise])
def test_entrywise_compressors_give_the_dense_result_on_a_sparse_support(spec):
    d, size = 7, upper_size(7)
    dense = torch.stack([sym(d, s, sparse=True) for s in range(3)])
    dense[:, torch.arange(d) * d - torch.arange(d) * (torch.arange(d) - 1) // 2] += 1.0
    support = [torch.nonzero(row).flatten() for row in dense]
    width = max(len(s) for s in support)
    index = torch.full((3, width), size, dtype=torch.int64)
    for r, s in enumerate(support):
        index[r, :len(s)] = s
    values = torch.cat([dense, dense.new_zeros(3, 1)], 1).gather(1, index)
    diag = torch.searchsorted(index, (torch.arange(d) * d - torch.arange(d) * (
        torch.arange(d) - 1) // 2).expand(3, d).contiguous())
    compact = Packed(values, index, d, diag)
    comp = parse_matrix_compressor(spec)
    gens = lambda: [torch.Generator().manual_seed(10 + r) for r in range(3)]  # noqa: E731
    a, b = comp.compress(compact, gens()), comp.compress(Packed.dense(dense, d), gens())
    assert torch.equal(compact.with_values(a.dense(values)).to_dense(), b.dense(dense))
    assert torch.equal(a.bits, b.bits)
    lookup = torch.full((3, size + 1), -1, dtype=torch.int32).scatter_(
        1, index, torch.arange(width, dtype=torch.int32).expand(3, width))
    with_lookup = Packed(values, index, d, diag, lookup)
    c = comp.compress(with_lookup, gens())  # the slot table of random-position compressors
    assert torch.equal(with_lookup.with_values(c.dense(values)).to_dense(), b.dense(dense))


@pytest.mark.parametrize("spec,message", [
    ("qsgd:4", "'qsgd' is a vector compressor; Hessian learning needs a matrix compressor"),
    ("foo", "'foo' is not a compressor"),
    ("topk:0", "K must be a positive integer"),
    ("topk", "topk takes one argument"),
    ("natural:3", "natural takes no arguments"),
])
def test_bad_specs_say_what_is_needed(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_matrix_compressor(spec)


def test_topk_ties_go_to_the_lowest_positions_in_every_row_of_a_batch():
    from fl_pytorch.compressors.matrix.topk import top_slots
    g = torch.Generator().manual_seed(5)
    magnitude = torch.randint(1, 6, (40, 50), generator=g).double()  # ties everywhere
    for k in (1, 7, 30):
        got = top_slots(magnitude, k).sort(1).values
        want = torch.sort(magnitude, dim=1, descending=True, stable=True).indices[:, :k].sort(1)
        assert torch.equal(got, want.values)


def test_random_subsets_are_uniform_distinct_and_the_same_alone_or_batched():
    from fl_pytorch.compressors.matrix.randk import random_subsets
    size, k, rows = 100, 50, 3000  # the seeds 654, 1160, 2869 need a second round of draws
    gens = lambda: [torch.Generator().manual_seed(s) for s in range(rows)]  # noqa: E731
    batch = random_subsets(size, k, gens())
    assert batch.shape == (rows, k) and ((batch >= 0) & (batch < size)).all()
    assert all(len(set(row.tolist())) == k for row in batch)
    some = [0, 1, 654, 1160, 2869]
    alone = torch.cat([random_subsets(size, k, [gens()[s]]) for s in some])
    assert torch.equal(alone, batch[some])
    counts = torch.bincount(batch.reshape(-1), minlength=size).double()
    expected, spread = rows * k / size, math.sqrt(rows * (k / size) * (1 - k / size))
    assert ((counts - expected).abs() < 5 * spread).all()
