"""Contract tests for every registered compressor, driven by the example table below.

Oracles are independent of the implementations: Monte-Carlo estimates with standard errors
taken from the samples (unbiasedness, omega), closed-form bit counts, exact worst cases where
the documented bound is attained, and the value sets each operator may output.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import pytest
import torch

from fl_pytorch.compressors import COMPRESSORS, parse_compressor
from fl_pytorch.errors import ConfigError

EXP_BITS = {torch.float32: 8, torch.float64: 11}


def ib(d: int) -> int:
    """Bits of one index into dimension d."""
    return max(1, math.ceil(math.log2(d)))


def cnt(f: float, d: int) -> int:
    """A percentage count, the original tool's rule: ceil(f d), between 1 and d."""
    return max(1, min(d, math.ceil(f * d)))


def shape(d: int) -> tuple[int, int]:
    m = math.ceil(math.sqrt(d))
    return m, math.ceil(d / m)


class Ex(NamedTuple):
    spec: str
    #: (d, b = value bits, e = exponent bits) -> the bit counts a call may report
    bits: Callable[[int, int, int], set[int]]
    #: False for deterministic operators
    random: bool = True


EXAMPLES: dict[str, list[Ex]] = {
    "ident": [Ex("ident", lambda d, b, e: {d * b}, False)],
    "bernulli": [Ex("bernulli:0.3", lambda d, b, e: {1, 1 + d * b}),
                 Ex("bernulli:1", lambda d, b, e: {1 + d * b}, False)],
    "bernoulli": [Ex("bernoulli:0.5", lambda d, b, e: {1, 1 + d * b})],
    "randk": [Ex("randk:5", lambda d, b, e: {min(5, d) * (b + ib(d))}),
              Ex("randk:25%", lambda d, b, e: {cnt(0.25, d) * (b + ib(d))})],
    "natural": [Ex("natural", lambda d, b, e: {d * (1 + e)})],
    "std.dithering": [Ex("std.dithering:2", lambda d, b, e: {b + d * 3}),
                      Ex("std.dithering:4:1", lambda d, b, e: {b + d * 4}),
                      Ex("std.dithering:1:inf", lambda d, b, e: {b + d * 2})],
    "nat.dithering": [Ex("nat.dithering:3", lambda d, b, e: {b + d * 3}),
                      Ex("nat.dithering:2:inf", lambda d, b, e: {b + d * 3}),
                      Ex("nat.dithering:8:1.5", lambda d, b, e: {b + d * 5})],
    "qsgd": [Ex("qsgd:2", lambda d, b, e: {b + d * 3}),
             Ex("qsgd:7", lambda d, b, e: {b + d * 4})],
    "terngrad": [Ex("terngrad", lambda d, b, e: {b + 2 * d})],
    "topk": [Ex("topk:3", lambda d, b, e: {min(3, d) * (b + ib(d))}, False),
             Ex("topk:30%", lambda d, b, e: {cnt(0.3, d) * (b + ib(d))}, False)],
    "rank_k": [Ex("rank_k:1", lambda d, b, e: {(shape(d)[0] + shape(d)[1] + 1) * b}, False),
               Ex("rank_k:50%",
                  lambda d, b, e: {min(cnt(0.5, d), shape(d)[1]) * (sum(shape(d)) + 1) * b},
                  False)],
}
COMPOSITIONS: list[Ex] = [
    Ex("randk:25%+natural", lambda d, b, e: {cnt(0.25, d) * (ib(d) + 1 + e)}),
    Ex("bernulli:0.5+std.dithering:2", lambda d, b, e: {1, 1 + b + d * 3}),
    Ex("randk:10+randk:5+natural",
       lambda d, b, e: {min(10, d) * ib(d) + min(5, d) * (ib(min(10, d)) + 1 + e)}),
    Ex("natural+qsgd:2", lambda d, b, e: {b + d * 3}),
    Ex("randk:8 + terngrad", lambda d, b, e: {min(8, d) * ib(d) + b + 2 * min(8, d)}),
]
ALL = [ex for exs in EXAMPLES.values() for ex in exs] + COMPOSITIONS
UNBIASED = [ex.spec for ex in ALL if parse_compressor(ex.spec).unbiased]
CONTRACTIVE = [ex.spec for ex in ALL if not parse_compressor(ex.spec).unbiased]
DIMS = [1, 2, 7, 20, 33]
DTYPES = [torch.float32, torch.float64]


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def draws(spec: str, x: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """n independent outputs (rows) from one generator stream."""
    comp, g = parse_compressor(spec), gen(seed)
    return torch.stack([comp.compress(x, g).value for _ in range(n)])


def dense_x(d: int = 20) -> torch.Tensor:
    return torch.randn(d, generator=gen(123), dtype=torch.float64) * 3


def sparse_x(d: int = 20) -> torch.Tensor:
    x = dense_x(d)
    x[torch.arange(d) % 4 != 0] = 0.0
    return x


# ----------------------------------------------------------------------------- the table


def test_every_registered_compressor_has_examples():
    missing = set(COMPRESSORS.names()) - set(EXAMPLES)
    assert not missing, f"add examples for {sorted(missing)} to EXAMPLES"
    for name, exs in EXAMPLES.items():
        assert exs and all(ex.spec.split(":")[0] == name for ex in exs), name


@pytest.mark.parametrize("spec", [ex.spec for ex in ALL])
def test_spec_round_trip(spec):
    assert parse_compressor(spec).spec == spec


# ----------------------------------------------------------------------------- unbiased


@pytest.mark.parametrize("make_x,n", [(dense_x, 10_000), (sparse_x, 4_000)],
                         ids=["dense", "sparse"])
@pytest.mark.parametrize("spec", UNBIASED)
def test_unbiased_mean_and_omega(spec, make_x, n):
    x = make_x()
    out = draws(spec, x, n)
    mean, se = out.mean(0), out.std(0) / math.sqrt(n)
    assert torch.all((mean - x).abs() <= 5 * se + 1e-12 * (1 + x.abs())), (mean - x) / se
    err = ((out - x) ** 2).sum(1)
    omega = parse_compressor(spec).omega(x.numel())
    bound = omega * x.dot(x)
    # the sample mean of ||C(x)-x||^2 exceeds its expectation by > 5 SE with prob. < 1e-6
    assert err.mean() <= bound + 5 * err.std() / math.sqrt(n) + 1e-12, (err.mean() / x.dot(x),
                                                                         omega)


def _pow2(d: int, seed: int) -> torch.Tensor:
    """Entries +-4/3 * 2^j: natural compression's worst case."""
    g = gen(seed)
    sign = torch.randint(0, 2, (d,), generator=g).double() * 2 - 1
    return sign * 4 / 3 * 2.0 ** torch.randint(-3, 4, (d,), generator=g).double()


def _terngrad_worst(d: int) -> torch.Tensor:
    x = torch.full((d,), 1 / (math.sqrt(d) + 1), dtype=torch.float64)
    x[0] = 1.0
    return x


TIGHT = [  # (spec, x) where E||C(x)-x||^2 = omega(d) ||x||^2 exactly
    ("bernulli:0.3", dense_x()),
    ("randk:5", dense_x()),
    ("natural", _pow2(20, 1)),
    ("terngrad", _terngrad_worst(16)),
    ("std.dithering:1:2", torch.ones(4, dtype=torch.float64)),
    ("randk:5+natural", _pow2(20, 2)),
]


@pytest.mark.parametrize("spec,x", TIGHT, ids=[t[0] for t in TIGHT])
def test_omega_is_attained(spec, x):
    n = 10_000
    err = ((draws(spec, x, n, seed=7) - x) ** 2).sum(1)
    expect = parse_compressor(spec).omega(x.numel()) * x.dot(x)
    assert abs(err.mean() - expect) <= 5 * err.std() / math.sqrt(n), (err.mean(), expect)


@pytest.mark.parametrize("spec,d,omega", [
    ("ident", 9, 0.0), ("bernulli:0.25", 9, 3.0), ("randk:3", 12, 3.0), ("natural", 9, 1 / 8),
    ("std.dithering:1:2", 16, 4.0), ("std.dithering:4:2", 16, 0.25), ("std.dithering:2:1", 4, 1.0),
    ("std.dithering:1", 16, 4.0), ("nat.dithering:3", 16, 1 / 8 + 1.0),  # default p = inf
    ("std.dithering:3:inf", 900, 10.0), ("qsgd:1", 16, 4.0), ("qsgd:8", 16, 0.25),
    ("nat.dithering:3:2", 16, 1 / 8 + 1.0), ("nat.dithering:1:1", 2, 1 / 8 + 2.0),
    ("terngrad", 25, 2.0), ("randk:5+natural", 20, 4 * 9 / 8 - 1),
    ("randk:4+std.dithering:1", 16, 4 * 2 - 1),  # dithering acts on the 4 kept values
])
def test_omega_closed_form(spec, d, omega):
    assert parse_compressor(spec).omega(d) == pytest.approx(omega)


@pytest.mark.parametrize("spec", [ex.spec for exs in (EXAMPLES["std.dithering"],
                                                       EXAMPLES["nat.dithering"],
                                                       EXAMPLES["qsgd"]) for ex in exs])
def test_dithering_omega_positive(spec):
    assert all(parse_compressor(spec).omega(d) > 0 for d in (1, 2, 20, 10_000))


# ----------------------------------------------------------------------------- output sets


def _out(spec: str, x: torch.Tensor, seed: int = 3) -> torch.Tensor:
    return parse_compressor(spec).compress(x, gen(seed)).value


def test_natural_outputs_bracketing_powers_of_two():
    x = dense_x(200)
    c = _out("natural", x)
    low = 2.0 ** torch.floor(torch.log2(x.abs()))
    assert torch.all((c.abs() == low) | (c.abs() == 2 * low))
    assert torch.all(torch.sign(c) == torch.sign(x)) and not torch.equal(c, x)


def test_natural_dithering_is_not_identity_and_uses_its_levels():
    x = dense_x(200)
    norm = x.norm()
    c = _out("nat.dithering:3:2", x)
    assert not torch.allclose(c, x)
    levels = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=x.dtype)
    ratio = c.abs() / norm
    assert torch.all((ratio[:, None] - levels).abs().min(1).values < 1e-12)
    assert torch.all((c == 0) | (torch.sign(c) == torch.sign(x)))


def test_standard_dithering_uses_uniform_levels():
    x = dense_x(200)
    t = _out("std.dithering:5:inf", x).abs() / x.abs().max() * 5
    assert torch.allclose(t, t.round(), atol=1e-9) and not torch.allclose(t * 0, t)


def test_terngrad_is_ternary():
    x = dense_x(200)
    c = _out("terngrad", x)
    assert torch.all((c == 0) | (c == torch.sign(x) * x.abs().max()))


def test_bernoulli_flag_matches_bits():
    x = dense_x()
    comp, g = parse_compressor("bernulli:0.5"), gen(0)
    seen = set()
    for _ in range(50):
        out = comp.compress(x, g)
        seen.add(out.bits)
        assert torch.equal(out.value, x / 0.5) if out.bits > 1 else not out.value.any()
    assert seen == {1, 1 + 20 * 64}


# ----------------------------------------------------------------------------- contractive


def _contractive_inputs():
    g = gen(11)
    for i in range(200):
        d = DIMS[i % len(DIMS)] + (i % 3)  # includes non-square dims for rank-k
        yield torch.randn(d, generator=g, dtype=torch.float64) * torch.rand(d, generator=g,
                                                                              dtype=torch.float64)


@pytest.mark.parametrize("spec", CONTRACTIVE)
def test_contraction(spec):
    comp = parse_compressor(spec)
    for x in _contractive_inputs():
        c = comp.compress(x, gen(0)).value
        a = comp.alpha(x.numel())
        assert 0 < a <= 1
        assert ((c - x) ** 2).sum() <= (1 - a) * x.dot(x) + 1e-10 * x.dot(x)


@pytest.mark.parametrize("spec,x,alpha", [
    ("topk:3", torch.ones(12, dtype=torch.float64), 0.25),
    ("rank_k:1", torch.eye(4, dtype=torch.float64).reshape(-1), 0.25),
    ("rank_k:3", torch.cat([torch.eye(4, dtype=torch.float64).reshape(-1),
                          torch.zeros(4, dtype=torch.float64)]),
     0.75),  # d = 20 -> 5 x 4
])
def test_alpha_is_attained(spec, x, alpha):
    comp = parse_compressor(spec)
    c = comp.compress(x, gen(0)).value
    assert comp.alpha(x.numel()) == pytest.approx(alpha)
    assert ((c - x) ** 2).sum() == pytest.approx((1 - alpha) * x.dot(x))


def test_contractive_has_no_omega():
    with pytest.raises(TypeError):
        parse_compressor("topk:2").omega(10)


# ----------------------------------------------------------------------------- bits, dtypes


@pytest.mark.parametrize("dtype", DTYPES, ids=["fp32", "fp64"])
@pytest.mark.parametrize("ex", ALL, ids=[ex.spec for ex in ALL])
def test_bits_and_output_format(ex, dtype):
    comp = parse_compressor(ex.spec)
    b = 32 if dtype == torch.float32 else 64
    for d in DIMS:
        g = gen(d)
        for x in (torch.randn(d, generator=g, dtype=dtype), torch.zeros(d, dtype=dtype)):
            out = comp.compress(x, g)
            assert isinstance(out.bits, int) and out.bits in ex.bits(d, b, EXP_BITS[dtype]), d
            v = out.value
            assert v.shape == x.shape and v.dtype == dtype and v.device == x.device
            assert torch.isfinite(v).all()
        assert not out.value.any()  # C(0) = 0


# ----------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("ex", ALL, ids=[ex.spec for ex in ALL])
def test_seeded_determinism(ex):
    comp, x = parse_compressor(ex.spec), dense_x()
    first = [comp.compress(x, gen(s)) for s in range(8)]
    again = [comp.compress(x, gen(s)) for s in range(8)]
    assert all(torch.equal(a.value, b.value) and a.bits == b.bits for a, b in zip(first, again))
    distinct = len({tuple(o.value.tolist()) for o in first})
    assert distinct > 1 if ex.random else distinct == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("ex", ALL, ids=[ex.spec for ex in ALL])
def test_cuda_tensor_with_cpu_generator(ex):
    comp, x = parse_compressor(ex.spec), dense_x()
    cpu, gpu = comp.compress(x, gen(5)), comp.compress(x.cuda(), gen(5))
    assert gpu.value.device.type == "cuda" and gpu.bits == cpu.bits
    assert torch.allclose(gpu.value.cpu(), cpu.value, atol=1e-9)


# ----------------------------------------------------------------------------- parse errors


@pytest.mark.parametrize("spec,bad,hint", [
    ("randk:0", "randk:0", "usage: randk:k"), ("randk:150%", "randk:150%", "usage: randk:k"),
    ("randk", "randk", "usage: randk"), ("bernulli:1.5", "bernulli:1.5", "usage: bernulli:p"),
    ("bernulli:0", "bernulli:0", "usage: bernulli:p"),
    ("std.dithering:0", "std.dithering:0", "usage: std.dithering:s"),
    ("std.dithering:2:0.5", "std.dithering:2:0.5", "p must be"),
    ("nat.dithering:65", "nat.dithering:65", "at most 64"),
    ("qsgd:1.5", "qsgd:1.5", "usage: qsgd:s"),
    ("topk:-1", "topk:-1", "usage: topk"), ("rank_k:0%", "rank_k:0%", "usage: rank_k"),
    # one argument is accepted (and ignored) as the original GUI writes ident:5%; two are not
    ("natural:3:3", "natural:3:3", "usage: natural"),
    ("terngrad:1:1", "terngrad:1:1", "usage: terngrad"), ("ident:2:2", "ident:2:2", "usage: ident"),
    ("nosuch:3", "nosuch", "valid: ident, bernulli"),
    ("randk:5+topk:2", "randk:5+topk:2", "contractive"), ("randk:5+", "randk:5+", "empty stage"),
    ("randk:0+natural", "randk:0", "usage: randk:k"),
])
def test_bad_spec_is_one_clear_error(spec, bad, hint):
    with pytest.raises(ConfigError) as err:
        parse_compressor(spec)
    msg = str(err.value)
    assert msg.startswith("--client-compressor: ") and repr(bad) in msg and hint in msg, msg


def test_error_names_the_given_option():
    for spec in ("randk:0", "nosuch", "randk:5+topk:2"):
        with pytest.raises(ConfigError, match="^--server-compressor: "):
            parse_compressor(spec, "--server-compressor")


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("spec", [ex.spec for ex in ALL])
def test_batched_form_draws_and_returns_what_each_row_would(spec, dtype):
    """compress_batch on a [clients, d] stack = compress row by row with each client's
    generator: the same values (rank-k: up to the SVD's rounding), the same bits, and every
    generator left in the same state (so later draws match too)."""
    comp = parse_compressor(spec)
    x = torch.randn(6, 37, dtype=dtype, generator=torch.Generator().manual_seed(1))
    x[2] = 0.0  # a client sending zeros (norms and maxima of 0)
    batch_gens = [torch.Generator().manual_seed(50 + j) for j in range(6)]
    row_gens = [torch.Generator().manual_seed(50 + j) for j in range(6)]
    out = comp.compress_batch(x, batch_gens)
    rows = [comp.compress(x[j].clone(), g) for j, g in enumerate(row_gens)]
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    assert torch.allclose(out.value, torch.stack([r.value for r in rows]), rtol=tol, atol=tol)
    assert out.bits.tolist() == [r.bits for r in rows]
    assert all(torch.equal(a.get_state(), b.get_state()) for a, b in zip(batch_gens, row_gens))
