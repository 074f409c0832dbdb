"""Identity compressor ``ident``: sends x as is. omega = 0; bits = d * b (b = bits per value)."""

from __future__ import annotations

import torch

from .base import Compressed, CompressedBatch, Compressor, same_bits, value_bits
from .spec import ignored_argument, register_compressor


class Identity(Compressor):
    """C(x) = x."""

    unbiased = True

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        return Compressed(x, x.numel() * value_bits(x))

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        return CompressedBatch(x, same_bits(x.shape[0], x[0].numel() * value_bits(x)))

    def omega(self, d: int) -> float:
        return 0.0


@register_compressor("ident", "ident")
def _build(args: list[str]) -> Identity:
    ignored_argument("ident", args)
    return Identity()
