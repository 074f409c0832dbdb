"""Bernoulli (lazy) compressor ``bernulli:p`` (alias ``bernoulli``): x/p w.p. p, else 0.

One coin for the whole vector (the client either sends or stays silent). Unbiased with
omega = 1/p - 1 (E||C(x) - x||^2 = p (1/p - 1)^2 ||x||^2 + (1 - p) ||x||^2 = (1/p - 1) ||x||^2,
so the bound is attained for every x). Bits = 1 + d * b when sent, 1 when not: a 1-bit flag,
then the d values of b bits each. ``bernulli`` is the original tool's spelling.
"""

from __future__ import annotations

import torch

from .base import Compressed, CompressedBatch, Compressor, row_draws, value_bits
from .composition import Split, SplitBatch
from .spec import register_compressor


class Bernoulli(Compressor):
    """C(x) = x/p with probability p, else 0."""

    unbiased = True

    def __init__(self, p: float):
        self.p = p

    def kept(self, d: int) -> int:
        """Number of values handed to a following stage of a composition (all of them)."""
        return d

    def split(self, x: torch.Tensor, generator: torch.Generator) -> Split:
        """Flip the coin: the (possibly zeroed) scaled vector and the 1-bit flag."""
        coin = torch.rand((), generator=generator, device=generator.device) < self.p
        keep = coin.to(device=x.device, dtype=x.dtype)
        return Split(x * (keep / self.p), None, 1, bool(coin))

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        sp = self.split(x, generator)
        return Compressed(sp.values, 1 + (x.numel() * value_bits(x) if sp.sent else 0))

    def split_batch(self, x: torch.Tensor, generators) -> SplitBatch:
        """One coin per row, each from its client's generator."""
        coins = row_draws(generators, lambda g, at: torch.rand((), generator=g, device=at),
                          torch.device("cpu")) < self.p
        keep = coins.to(device=x.device, dtype=x.dtype)[:, None]
        return SplitBatch(x * (keep / self.p), None, 1, coins)

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        sp = self.split_batch(x, generators)
        return CompressedBatch(sp.values, 1 + sp.sent.to(torch.int64) * (x.shape[1]
                                                                          * value_bits(x)))

    def omega(self, d: int) -> float:
        return 1.0 / self.p - 1.0


def _build(args: list[str]) -> Bernoulli:
    if len(args) != 1:
        raise ValueError("bernulli takes one argument, the probability p")
    try:
        p = float(args[0])
    except ValueError:
        p = float("nan")
    if not 0.0 < p <= 1.0:
        raise ValueError("p must be a number in (0, 1]")
    return Bernoulli(p)


register_compressor("bernulli", "bernulli:p with 0 < p <= 1")(_build)
register_compressor("bernoulli", "bernoulli:p with 0 < p <= 1")(_build)
