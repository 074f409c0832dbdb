"""Rand-k ``randk:k`` or ``randk:P%``: k coordinates uniformly without replacement, scaled d/k.

omega = d/k - 1. Bits = k * (b + ceil(log2 d)): k values of b bits and their k explicit indices
(no shared-seed trick is assumed). With ``P%``, k = ceil(P/100 * d) (the original's rule), at
least 1.
Inside a composition (``randk:k+natural``) only the indices are counted here (see composition.py).
"""

from __future__ import annotations

from fractions import Fraction

import torch

from .base import Compressed, Compressor, index_bits, value_bits
from .composition import Split
from .spec import parse_count, register_compressor, resolve_count


class RandK(Compressor):
    """Unbiased random sparsification."""

    unbiased = True

    def __init__(self, k: int | None, frac: Fraction | None):
        self.k, self.frac = k, frac

    def count(self, d: int) -> int:
        return resolve_count(self.k, self.frac, d)

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
        sp = self.split(x, generator)
        out = torch.zeros_like(x)
        out[sp.index] = sp.values
        return Compressed(out, sp.header_bits + sp.values.numel() * value_bits(x))

    def omega(self, d: int) -> float:
        return d / self.count(d) - 1.0


@register_compressor("randk", "randk:k or randk:P%")
def _build(args: list[str]) -> RandK:
    if len(args) != 1:
        raise ValueError("randk takes one argument, the count k or a percentage")
    return RandK(*parse_count(args[0], "k"))
