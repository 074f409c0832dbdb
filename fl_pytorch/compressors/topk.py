"""Top-k ``topk:k`` or ``topk:P%``: keeps the k entries of largest magnitude.

Alistarh et al. 2018, "The convergence of sparsified gradient methods", arXiv:1809.10505;
Stich et al. 2018, "Sparsified SGD with memory", arXiv:1809.07599.

Contractive and deterministic (ties broken by ``torch.topk``): the k kept squares are the
largest, so their sum is >= (k/d) ||x||^2 and ||C(x) - x||^2 <= (1 - k/d) ||x||^2; alpha = k/d
(attained when all |x_i| are equal). Bits = k * (b + ceil(log2 d)): k values and k indices.
With ``P%``, k = ceil(P/100 * d) (the original's rule), at least 1; k is capped at d.
"""

from __future__ import annotations

from fractions import Fraction

import torch

from .base import Compressed, CompressedBatch, Compressor, index_bits, same_bits, value_bits
from .spec import parse_count, register_compressor, resolve_count


class TopK(Compressor):
    """Greedy sparsification to the k largest magnitudes."""

    unbiased = False

    def __init__(self, k: int | None, frac: Fraction | None):
        self.k, self.frac = k, frac

    def count(self, d: int) -> int:
        """The count k for dimension d."""
        return resolve_count(self.k, self.frac, d)

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        d = x.numel()
        k = self.count(d)
        idx = torch.topk(x.abs(), k, sorted=False).indices
        out = torch.zeros_like(x)
        out[idx] = x[idx]
        return Compressed(out, k * (value_bits(x) + index_bits(d)))

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        d = x.shape[1]
        k = self.count(d)
        idx = torch.topk(x.abs(), k, dim=1, sorted=False).indices
        out = torch.zeros_like(x).scatter_(1, idx, x.gather(1, idx))
        return CompressedBatch(out, same_bits(x.shape[0], k * (value_bits(x) + index_bits(d))))

    def alpha(self, d: int) -> float:
        return self.count(d) / d


@register_compressor("topk", "topk:k or topk:P%")
def _build(args: list[str]) -> TopK:
    if len(args) != 1:
        raise ValueError("topk takes one argument, the count k or a percentage")
    return TopK(*parse_count(args[0], "k"))
