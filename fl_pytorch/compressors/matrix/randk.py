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
    register_counted,
    values_bits,
)
from .packed import Packed


def first_occurrences(draws: torch.Tensor) -> torch.Tensor:
    """(b, m) bool: True where a value appears in its row for the first time."""
    ordered, order = torch.sort(draws, dim=1, stable=True)
    repeat = torch.zeros_like(ordered, dtype=torch.bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    return torch.zeros_like(repeat).scatter_(1, order, ~repeat)


def random_subsets(size: int, k: int, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """(b, k): a uniform random k-subset of [0, size) per generator, drawn from it only.

    The first k distinct values of i.i.d. uniform draws (a uniform k-subset by symmetry), in
    rounds of draws of a size that depends on (size, k) only, so a matrix gets the same subset
    alone or in a batch.
    """
    if 2 * k > size:
        return torch.stack([torch.randperm(size, generator=g, device=g.device)[:k]
                            for g in generators])
    batch = int(-1.1 * size * math.log1p(-k / size)) + 16  # 10% above the mean for k distinct
    draws = torch.stack([torch.randint(size, (batch,), generator=g, device=g.device)
                         for g in generators])
    first = first_occurrences(draws)
    enough = first.sum(1) >= k
    out = torch.empty(len(generators), k, dtype=torch.int64, device=draws.device)
    keep = first & (torch.cumsum(first, 1) <= k)
    out[enough] = draws[enough][keep[enough]].view(-1, k)
    for row in (~enough).nonzero().flatten().tolist():  # rare: more draws for this matrix
        more = draws[row]
        while int(first_occurrences(more[None]).sum()) < k:
            more = torch.cat([more, torch.randint(size, (batch,), generator=generators[row],
                                                  device=more.device)])
        new = first_occurrences(more[None])[0]
        out[row] = more[new & (torch.cumsum(new, 0) <= k)]
    return out


def gather_positions(m: Packed, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(slots, values) of the packed ``positions`` (b, K) in ``m`` (0 where off the support)."""
    if m.is_dense:
        return positions, m.values.gather(1, positions)
    if m.lookup is not None:
        slots = m.lookup.gather(1, positions).long()
        hit = slots >= 0
        slots = slots.clamp(min=0)
    else:
        slots = torch.searchsorted(m.index, positions).clamp(max=m.index.shape[1] - 1)
        hit = m.index.gather(1, slots) == positions
    return slots, torch.where(hit, m.values.gather(1, slots), 0.0)


class RandK(MatrixCompressor):
    """K uniformly random upper-triangle entries, scaled D/K."""

    unbiased = True
    random_positions = True

    def __init__(self, count: Count):
        self.count = count

    def k(self, d: int) -> int:
        """K for d x d matrices (capped at D)."""
        return self.count.resolve(d)

    def positions(self, size: int, k: int, generators: Sequence[torch.Generator]
                  ) -> torch.Tensor:
        """The (b, K) packed positions the matrices send."""
        return random_subsets(size, k, generators)

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        size, k = m.size, self.k(m.d)
        chosen = self.positions(size, k, generators).to(m.index.device)
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

    def positions(self, size: int, k: int, generators: Sequence[torch.Generator]
                  ) -> torch.Tensor:
        starts = torch.stack([torch.randint(size, (), generator=g, device=g.device)
                              for g in generators])
        return (starts[:, None] + torch.arange(k, device=starts.device)) % size

    def bits(self, size: int, k: int, value_bits: int) -> int:
        """Bits of one message: K values and the start position."""
        return k * value_bits + index_bits(size)


register_counted("randk", RandK)
register_counted("randseqk", RandSeqK)
