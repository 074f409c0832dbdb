"""Random dithering: ``std.dithering:s[:p]`` (standard) and ``nat.dithering:s[:p]`` (natural).

Both send ||x||_p (p >= 1 or ``inf``; default ``inf``, the original tool's), and for each
coordinate its sign and a random level l_i in [0, 1] with E[l_i] = r_i := |x_i| / ||x||_p;
C(x)_i = ||x||_p sign(x_i) l_i.
Bits = b + d * (1 + ceil(log2(s + 1))): the norm, then a sign bit and a level index per coordinate.

Standard dithering (Alistarh et al. 2017 "QSGD", arXiv:1610.02132; Horvath et al. 2019,
arXiv:1905.10988): levels 0, 1/s, ..., 1; r_i s is rounded stochastically to the nearest
integers. With t = r_i s and l = floor(t), Var(l_i) = (t - l)(l + 1 - t) / s^2 and
(t - l)(l + 1 - t) <= min(1/4, t) (if l = 0 it is t (1 - t) <= t; if l >= 1, 1/4 <= t). Hence

    E||C(x) - x||^2 <= ||x||_p^2 / s^2 * sum_i min(1/4, s r_i)
                    <= min(d ||x||_p^2 / (4 s^2), ||x||_p ||x||_1 / s).

With ||x||_p <= kappa ||x||_2, kappa = d^max(0, 1/p - 1/2), and ||x||_1 <= sqrt(d) ||x||_2:
omega = min(d kappa^2 / (4 s^2), kappa sqrt(d) / s). (Attained e.g. for s = 1, p = 2, x = 1_4.)

Natural dithering (Horvath et al. 2019, Thm. 7 there): levels 0, 2^(1-s), ..., 1/2, 1; r_i is
rounded stochastically to the two nearest levels. For r_i >= delta := 2^(1-s) this is natural
compression (variance <= r_i^2 / 8); below delta it rounds between 0 and delta (variance
r_i (delta - r_i) <= min(delta r_i, delta^2 / 4)). Summing, with r = min(p, 2),
E||C(x) - x||^2 <= (1/8 + min(d^(1/r) delta, d^(2/r) delta^2 / 4)) ||x||^2, which implies the
paper's bound, the one reported (so theoretical step sizes match the paper):
omega = 1/8 + d^(1/r) delta min(1, d^(1/r) delta).
"""

from __future__ import annotations

import math

import torch

from .base import Compressed, CompressedBatch, Compressor, row_draws, same_bits, value_bits
from .natural import round_to_powers_of_two
from .spec import register_compressor


class Dithering(Compressor):
    """Shared machinery: the p-norm, signs, and levels drawn by :meth:`levels`."""

    unbiased = True

    def __init__(self, s: int, p: float = math.inf):
        self.s, self.p = s, p

    def levels(self, r: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Random levels in [0, 1] with mean r (r in [0, 1]), from uniform draws u."""
        raise NotImplementedError

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        norm = torch.linalg.vector_norm(x, ord=self.p)
        safe = torch.where(norm > 0, norm, torch.ones_like(norm))
        r = (x.abs() / safe).clamp(max=1.0)
        u = torch.rand(x.shape, generator=generator, device=generator.device, dtype=x.dtype)
        value = torch.sign(x) * norm * self.levels(r, u.to(x.device))
        return Compressed(value, value_bits(x) + x.numel() * (1 + self.s.bit_length()))

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        d = x.shape[1]
        norm = torch.linalg.vector_norm(x, ord=self.p, dim=1, keepdim=True)
        safe = torch.where(norm > 0, norm, torch.ones_like(norm))
        r = (x.abs() / safe).clamp(max=1.0)
        u = row_draws(generators, lambda g, at: torch.rand(d, generator=g, device=at,
                                                       dtype=x.dtype), x.device)
        value = torch.sign(x) * norm * self.levels(r, u)
        return CompressedBatch(value, same_bits(x.shape[0], value_bits(x)
                                                + d * (1 + self.s.bit_length())))

    def kappa(self, d: int) -> float:
        """Constant with ||x||_p <= kappa ||x||_2 in dimension d."""
        return d ** max(0.0, 1.0 / self.p - 0.5)


class StandardDithering(Dithering):
    """Uniform levels 0, 1/s, ..., 1."""

    def levels(self, r: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        t = r * self.s
        low = torch.floor(t)
        return (low + (u < t - low).to(r.dtype)) / self.s

    def omega(self, d: int) -> float:
        k = self.kappa(d)
        return min(d * k * k / (4.0 * self.s**2), k * math.sqrt(d) / self.s)


class NaturalDithering(Dithering):
    """Levels 0, 2^(1-s), ..., 1/2, 1."""

    def levels(self, r: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        delta = 2.0 ** (1 - self.s)
        small = r < delta
        below = delta * (u < r / delta).to(r.dtype)
        return torch.where(small, below, round_to_powers_of_two(r, u))

    def omega(self, d: int) -> float:
        a = d ** (1.0 / min(self.p, 2.0)) * 2.0 ** (1 - self.s)
        return 1.0 / 8.0 + a * min(1.0, a)


def parse_levels(arg: str, most: int | None = None) -> int:
    """The level count s: an integer >= 1 (and <= ``most`` when given)."""
    try:
        s = int(arg)
    except ValueError:
        s = 0
    if s < 1 or (most is not None and s > most):
        limit = f" and at most {most}" if most is not None else ""
        raise ValueError(f"s must be an integer >= 1{limit}")
    return s


def parse_norm(arg: str) -> float:
    """The norm p: a number >= 1 or ``inf``."""
    try:
        p = float(arg)
    except ValueError:
        p = float("nan")
    if not p >= 1.0:
        raise ValueError("p must be a number >= 1 or inf")
    return p


def _args(args: list[str], name: str, most: int | None) -> tuple[int, float]:
    if not 1 <= len(args) <= 2:
        raise ValueError(f"{name} takes one or two arguments, s and optionally p")
    return parse_levels(args[0], most), parse_norm(args[1]) if len(args) == 2 else math.inf


@register_compressor("std.dithering", "std.dithering:s[:p], s >= 1 levels, p >= 1 or inf "
                     "(default inf)")
def _build_std(args: list[str]) -> StandardDithering:
    return StandardDithering(*_args(args, "std.dithering", None))


@register_compressor("nat.dithering", "nat.dithering:s[:p], 1 <= s <= 64 levels, p >= 1 or inf "
                     "(default inf)")
def _build_nat(args: list[str]) -> NaturalDithering:
    return NaturalDithering(*_args(args, "nat.dithering", 64))
