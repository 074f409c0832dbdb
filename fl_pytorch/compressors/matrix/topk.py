"""Greedy sparsifiers of symmetric matrices: ``topk:K`` and uFedNL's adaptive ``toplek:K``.

``topk:K`` keeps the K upper-triangle entries of largest magnitude (Top-K of the FedNL paper on
the upper triangle, as uFedNL sends it); ties at the K-th magnitude go to the lowest packed
position, so the result does not depend on the layout. Contractive with ``delta = K / d^2``:
the kept entries and their mirror images are the largest ``K' >= K`` of the d^2 entries, so they
hold at least a ``K/d^2`` share of ``||M||_F^2`` (uFedNL's corrected factor; ``K/D`` can fail
when the largest entries are diagonal). Deterministic. Bits = K (b + ceil(log2 D)).

``toplek:K`` (TopLEK, Burlachenko and Richtarik 2024, arXiv:2410.08760: "Top less-or-equal K")
sends only as many of those entries as the contraction needs. Walking the Top-K entries by
decreasing magnitude (ties by position), let ``r_t`` be the residual ``||M - C_t(M)||_F^2`` of
the first t; with ``target = (1 - delta) ||M||_F^2`` and t* the first t with ``r_t <= target``,
it sends t* entries with probability ``p = (r_{t*-1} - target) / (r_{t*-1} - r_{t*})`` and t*-1
otherwise (one uniform draw per matrix), so ``E ||C(M) - M||_F^2 = (1 - delta) ||M||_F^2``
exactly: the same delta as Top-K, in expectation, with fewer entries. Bits = t (b + ceil(log2 D))
+ 32 (the count t, a uint32 as uFedNL sends it).
"""

from __future__ import annotations

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

COUNT_BITS = 32


def top_slots(magnitude: torch.Tensor, k: int) -> torch.Tensor:
    """(b, min(k, P)) slots of the k largest entries of each row, ties to the lowest slot.

    ``torch.topk`` of k + 1 entries: dropping the smallest leaves a top-k set, which is the only
    one unless the k-th and (k+1)-th magnitudes are equal and nonzero (equal Hessian entries are
    common with binary features); those rows keep every entry above the k-th magnitude and the
    lowest slots among the entries equal to it.
    """
    b, width = magnitude.shape
    if k >= width:
        return torch.arange(width, device=magnitude.device).expand(b, width)
    values, slots = torch.topk(magnitude, k + 1, dim=1, sorted=False)
    smallest = values.argmin(1, keepdim=True)
    others = torch.arange(k, device=magnitude.device)[None, :]
    others = others + (others >= smallest).long()  # every position but the smallest
    top, kept = slots.gather(1, others), values.gather(1, others)
    kth = kept.min(1).values
    tied = ((kth > 0) & (kth == values.gather(1, smallest)[:, 0])).nonzero().flatten()
    if tied.numel():
        top[tied] = _lowest_ties(magnitude[tied], top[tied], kept[tied], kth[tied])
    return top


def _lowest_ties(rows: torch.Tensor, top: torch.Tensor, kept: torch.Tensor, kth: torch.Tensor
                 ) -> torch.Tensor:
    """The canonical top-k slots of rows whose k-th magnitude ``kth`` is tied.

    Every slot above ``kth`` (all in ``top`` already) and the lowest-numbered slots equal to it,
    as many as ``top`` holds.
    """
    at_edge = kept == kth[:, None]  # the tied entries topk happened to keep
    row, col = (rows == kth[:, None]).nonzero(as_tuple=True)  # all tied entries, in slot order
    per_row = torch.bincount(row, minlength=rows.shape[0])
    rank = torch.arange(row.numel(), device=row.device) - (torch.cumsum(per_row, 0) - per_row)[row]
    top = top.clone()
    top[at_edge] = col[rank < at_edge.sum(1)[row]]
    return top


class TopK(MatrixCompressor):
    """The K largest upper-triangle entries."""

    unbiased = False

    def __init__(self, count: Count):
        self.count = count

    def k(self, d: int) -> int:
        """K for d x d matrices (capped at D)."""
        return self.count.resolve(d)

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        k = self.k(m.d)
        slots = top_slots(m.values.abs(), k)
        return MatrixMessage(bits_of(m.values, k * (values_bits(m) + index_bits(m.size))),
                             slots=slots, kept=m.values.gather(1, slots))

    def delta(self, d: int) -> float:
        return self.k(d) / (d * d)


class TopLEK(TopK):
    """Top-K trimmed at random to the contraction Top-K guarantees, in expectation."""

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        v = m.values
        slots = top_slots(v.abs(), self.k(m.d)).sort(1).values
        order = torch.sort(v.gather(1, slots).abs(), dim=1, descending=True, stable=True).indices
        slots = slots.gather(1, order)
        kept = v.gather(1, slots)
        sent = self.count_sent(m, slots, kept, generators)
        keep = torch.arange(slots.shape[1], device=v.device)[None, :] < sent[:, None]
        bits = sent.cpu() * (values_bits(m) + index_bits(m.size)) + COUNT_BITS
        return MatrixMessage(bits, slots=slots, kept=kept * keep)

    def count_sent(self, m: Packed, slots: torch.Tensor, kept: torch.Tensor,
                   generators: Sequence[torch.Generator]) -> torch.Tensor:
        """(b,) entries sent: t* - 1 or t* at random, the expected residual on target."""
        weights = 2.0 - m.is_diagonal(slots).to(kept.dtype)
        total = m.frobenius_sq()
        residual = total[:, None] - torch.cumsum(weights * kept * kept, 1)
        target = (1.0 - self.delta(m.d)) * total
        above = (residual > target[:, None]).sum(1).clamp(max=slots.shape[1] - 1)
        before = torch.where(above > 0,
                             residual.gather(1, (above - 1).clamp(min=0)[:, None])[:, 0], total)
        after = residual.gather(1, above[:, None])[:, 0]
        gap = before - after
        p = torch.where(gap > 0, (before - target) / torch.where(gap > 0, gap, 1.0), 1.0)
        u = torch.stack([torch.rand((), generator=g, device=g.device, dtype=kept.dtype)
                         for g in generators]).to(kept.device)
        return torch.where(total > 0, above + (u < p.clamp(0.0, 1.0)).long(), 0)


register_counted("topk", TopK)
register_counted("toplek", TopLEK)
