"""An unbiased compressor used as a contractive one: ``C / (omega + 1)``.

``C / (omega + 1)`` is contractive with ``alpha = 1 / (omega + 1)`` in expectation (EF21 paper,
Richtarik et al. 2021, Sec. 2), with the same bits: how EF21 and the downlink's error feedback
use an unbiased compressor.
"""

from __future__ import annotations

import torch

from .base import Compressed, CompressedBatch, Compressor


class ContractiveScaling(Compressor):
    """``C / (omega + 1)`` for an unbiased C: contractive with alpha = 1/(omega+1), same bits."""

    unbiased = False

    def __init__(self, inner: Compressor):
        self.inner = inner
        self.spec = inner.spec

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        out = self.inner.compress(x, generator)
        return Compressed(out.value / (self.inner.omega(x.numel()) + 1.0), out.bits)

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        out = self.inner.compress_batch(x, generators)
        return CompressedBatch(out.value / (self.inner.omega(x.shape[1]) + 1.0), out.bits)

    def alpha(self, d: int) -> float:
        return 1.0 / (self.inner.omega(d) + 1.0)


def as_contractive(compressor: Compressor) -> Compressor:
    """The compressor itself if contractive, else its scaling by 1/(omega+1)."""
    return compressor if not compressor.unbiased else ContractiveScaling(compressor)
