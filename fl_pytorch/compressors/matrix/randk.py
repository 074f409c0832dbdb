"""Random sparsifiers of symmetric matrices: ``randk:K`` and uFedNL's ``randseqk:K``.

Both keep K of the D = d(d+1)/2 upper-triangle entries, scaled by D/K, so that every entry is
kept with probability K/D: unbiased, and ``E ||C(M) - M||_F^2 = (D/K - 1) ||M||_F^2`` (the
Frobenius weights factor out of the per-entry variances), omega = D/K - 1.

* ``randk:K``: a uniformly random K-subset (the first K distinct values of i.i.d. uniform
  positions drawn from the matrix's generator). Bits = K (b + ceil(log2 D)): values and their
  explicit positions (no shared-seed trick is assumed, as for the vector ``randk``).
* ``randseqk:K`` (RandSeqK, Burlachenko and Richtarik 2024, arXiv:2410.08760): K consecutive
  packed positions from a uniform random start, wrapping around (cache-friendly). Bits =
  K b + ceil(log2 D): the values and the start.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .base import (
    Count,
    MatrixCompressor,
    MatrixMessage,
    bits_of,
    index_bits,
    register_matrix_compressor,
    values_bits,
)
from .packed import Packed


def random_subset(size: int, k: int, generator: torch.Generator) -> torch.Tensor:
    """A uniform random k-subset of [0, size), drawn from ``generator`` only."""
    if 2 * k > size:
        return torch.randperm(size, generator=generator, device=generator.device)[:k]
    expected = -size * math.log1p(-k / size)  # draws needed for k distinct, on average
    draws = torch.empty(0, dtype=torch.int64, device=generator.device)
    while True:
        more = torch.randint(size, (int(1.1 * expected) + 16,), generator=generator,
                             device=generator.device)
        draws = torch.cat([draws, more])
        values, inverse = torch.unique(draws, return_inverse=True)
        if values.numel() >= k:
            break
    first = torch.full_like(values, draws.numel()).scatter_reduce_(
        0, inverse, torch.arange(draws.numel(), device=draws.device), "amin")
    return values[first.argsort()[:k]]


def gather_positions(m: Packed, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(slots, values) of the packed ``positions`` (b, K) in ``m`` (0 where off the support)."""
    if m.is_dense:
        return positions, m.values.gather(1, positions)
    slots = torch.searchsorted(m.index, positions).clamp(max=m.index.shape[1] - 1)
    hit = m.index.gather(1, slots) == positions
    return slots, torch.where(hit, m.values.gather(1, slots), 0.0)


class RandK(MatrixCompressor):
    """K uniformly random upper-triangle entries, scaled D/K."""

    unbiased = True

    def __init__(self, count: Count):
        self.count = count

    def k(self, d: int) -> int:
        """K for d x d matrices (capped at D)."""
        return self.count.resolve(d)

    def positions(self, size: int, k: int, generator: torch.Generator) -> torch.Tensor:
        """The K packed positions one matrix sends."""
        return random_subset(size, k, generator)

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        size, k = m.size, self.k(m.d)
        chosen = torch.stack([self.positions(size, k, g) for g in generators]).to(m.index.device)
        slots, values = gather_positions(m, chosen)
        return MatrixMessage(bits_of(values, self.bits(size, k, values_bits(m))), slots=slots,
                             kept=values * (size / k))

    def bits(self, size: int, k: int, value_bits: int) -> int:
        """Bits of one message: K values and K positions."""
        return k * (value_bits + index_bits(size))

    def omega(self, d: int) -> float:
        size = d * (d + 1) // 2
        return size / self.k(d) - 1.0


class RandSeqK(RandK):
    """K consecutive upper-triangle entries from a random start, scaled D/K."""

    def positions(self, size: int, k: int, generator: torch.Generator) -> torch.Tensor:
        start = torch.randint(size, (), generator=generator, device=generator.device)
        return (start + torch.arange(k, device=generator.device)) % size

    def bits(self, size: int, k: int, value_bits: int) -> int:
        """Bits of one message: K values and the start position."""
        return k * value_bits + index_bits(size)


def _count(name: str, args: list[str]) -> Count:
    if len(args) != 1:
        raise ValueError(f"{name} takes one argument, the count K")
    return Count(args[0])


@register_matrix_compressor("randk", "randk:K")
def _randk(args: list[str]) -> RandK:
    return RandK(_count("randk", args))


@register_matrix_compressor("randseqk", "randseqk:K")
def _randseqk(args: list[str]) -> RandSeqK:
    return RandSeqK(_count("randseqk", args))
