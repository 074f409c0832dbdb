"""Rand-k ``randk:k`` or ``randk:P%``: k coordinates uniformly without replacement, scaled d/k.

omega = d/k - 1. Bits = k * (b + ceil(log2 d)): k values of b bits and their k explicit indices
(no shared-seed trick is assumed). With ``P%``, k = ceil(P/100 * d) (the original's rule), at
least 1.
Inside a composition (``randk:k+natural``) only the indices are counted here (see composition.py).
"""

from __future__ import annotations

from fractions import Fraction

import torch

from .base import (
    Compressed,
    CompressedBatch,
    Compressor,
    index_bits,
    row_draws,
    same_bits,
    value_bits,
)
from .composition import Split, SplitBatch
from .spec import parse_count, register_compressor, resolve_count


class RandK(Compressor):
    """Unbiased random sparsification."""

    unbiased = True

    def __init__(self, k: int | None, frac: Fraction | None):
        self.k, self.frac = k, frac
        self._counts: dict[int, int] = {}

    def count(self, d: int) -> int:
        """The count for dimension d (computed once per d: exact fractions are slow)."""
        k = self._counts.get(d)
        if k is None:
            k = self._counts[d] = resolve_count(self.k, self.frac, d)
        return k

    def kept(self, d: int) -> int:
        """Number of values handed to a following stage of a composition."""
        return self.count(d)

    def split(self, x: torch.Tensor, generator: torch.Generator) -> Split:
        """The kept indices, their scaled values, and the indices' bits."""
        d = x.numel()
        k = self.count(d)
        idx = torch.randperm(d, generator=generator, device=generator.device)[:k].to(x.device)
        return Split(x[idx] * (d / k), idx, k * index_bits(d), True)

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        d = x.numel()
        k = self.count(d)
        idx = torch.randperm(d, generator=generator, device=generator.device)[:k]
        if idx.device != x.device:
            idx = idx.to(x.device)
        out = torch.zeros_like(x).index_copy_(0, idx, x.index_select(0, idx).mul_(d / k))
        return Compressed(out, k * (index_bits(d) + value_bits(x)))

    def split_batch(self, x: torch.Tensor, generators) -> SplitBatch:
        """:meth:`split` of every row, each with its client's generator."""
        rows, d = x.shape
        k = self.count(d)
        idx = row_draws(generators, lambda g, at: torch.randperm(d, generator=g, device=at),
                        x.device)[:, :k]
        return SplitBatch(x.gather(1, idx) * (d / k), idx, k * index_bits(d),
                          torch.ones(rows, dtype=torch.bool))

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        sp = self.split_batch(x, generators)
        d, k = x.shape[1], sp.index.shape[1]
        return CompressedBatch(torch.zeros_like(x).scatter_(1, sp.index, sp.values),
                               same_bits(x.shape[0], k * (index_bits(d) + value_bits(x))))

    def omega(self, d: int) -> float:
        return d / self.count(d) - 1.0


@register_compressor("randk", "randk:k or randk:P%")
def _build(args: list[str]) -> RandK:
    if len(args) != 1:
        raise ValueError("randk takes one argument, the count k or a percentage")
    return RandK(*parse_count(args[0], "k"))
