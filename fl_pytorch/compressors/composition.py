"""Composition ``C1+C2+...``, e.g. ``randk:10%+natural``: the stages are applied left to right.

Only unbiased stages may be composed. With independent randomness, E[C2(C1(x))] = x and

    E||C2(y) - x||^2 = E||C2(y) - y||^2 + E||y - x||^2 <= omega2 E||y||^2 + omega1 ||x||^2
                     <= ((omega1 + 1)(omega2 + 1) - 1) ||x||^2,     y = C1(x),

so omega = (omega1 + 1)(omega2 + 1) - 1, applied recursively from the right.

Bits (exact; only the final message goes on the wire):

* A *sparsifying* stage (one with a ``split`` method: ``randk``, ``bernulli``) followed by more
  stages sends only its support header -- rand-k: k indices of ceil(log2 d) bits; Bernoulli: its
  1-bit flag -- and the later stages compress the dense vector of the values it kept (dimension
  k for rand-k, d for Bernoulli), so their bits AND their omega are those of that dimension.
  If Bernoulli's coin says "not sent", only the flag is counted. Example: ``randk:k+natural``
  costs k * ceil(log2 d) + k * (1 + e) bits (e exponent bits) and has
  omega = (d/k) * 9/8 - 1.
* A dense stage followed by more stages (e.g. ``natural+qsgd:4``) costs nothing itself: the
  later stages encode its output, and the total is the last stage's bits.

Contractive (biased) stages are refused: a random stage after a contractive one gives an
operator that is contractive at best in expectation, which is not this package's contract.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .base import Compressed, CompressedBatch, Compressor


class Split(NamedTuple):
    """What a sparsifying stage hands to the stages after it."""

    #: the values the later stages compress (a dense vector of length ``kept(d)``)
    values: torch.Tensor
    #: where they go in the d-vector; None when ``values`` is the whole vector
    index: torch.Tensor | None
    #: bits of the support description (indices, flag)
    header_bits: int
    #: False when nothing but the header is sent (the values are then all zero)
    sent: bool


class SplitBatch(NamedTuple):
    """What a sparsifying stage hands on for a ``[clients, d]`` stack, row by row."""

    values: torch.Tensor  # [clients, kept(d)]
    index: torch.Tensor | None  # [clients, kept(d)] positions in the rows, or None
    header_bits: int
    sent: torch.Tensor  # bool per row, on the CPU


class Composition(Compressor):
    """C_n o ... o C_1 for unbiased stages C_1, ..., C_n."""

    unbiased = True

    def __init__(self, stages: list[Compressor]):
        if len(stages) < 2:
            raise ValueError("a composition needs at least two stages joined by '+'")
        for c in stages:
            if not c.unbiased:
                raise ValueError(f"stage {c.spec!r} is contractive; only unbiased compressors "
                                 "can be composed")
        self.stages = stages

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        return _apply(self.stages, x, generator)

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        return _apply_batch(self.stages, x, generators)

    def omega(self, d: int) -> float:
        return _omega(self.stages, d)


def _kept(c: Compressor, d: int) -> int:
    """Dimension of what a stage hands on: ``kept(d)`` for sparsifiers, d otherwise."""
    return c.kept(d) if hasattr(c, "split") else d


def _omega(stages: list[Compressor], d: int) -> float:
    first, rest = stages[0], stages[1:]
    if not rest:
        return first.omega(d)
    return (first.omega(d) + 1.0) * (_omega(rest, _kept(first, d)) + 1.0) - 1.0


def _apply(stages: list[Compressor], x: torch.Tensor, g: torch.Generator) -> Compressed:
    first, rest = stages[0], stages[1:]
    if not rest:
        return first.compress(x, g)
    if not hasattr(first, "split"):
        return _apply(rest, first.compress(x, g).value, g)
    sp = first.split(x, g)
    inner = _apply(rest, sp.values, g)
    if sp.index is None:
        value = inner.value
    else:
        value = torch.zeros_like(x)
        value[sp.index] = inner.value
    return Compressed(value, sp.header_bits + (inner.bits if sp.sent else 0))


def _apply_batch(stages: list[Compressor], x: torch.Tensor, gens) -> CompressedBatch:
    """:func:`_apply` on every row: each client's generator sees the same draws in order."""
    first, rest = stages[0], stages[1:]
    if not rest:
        return first.compress_batch(x, gens)
    if not hasattr(first, "split_batch"):
        return _apply_batch(rest, first.compress_batch(x, gens).value, gens)
    sp = first.split_batch(x, gens)
    inner = _apply_batch(rest, sp.values, gens)
    value = inner.value if sp.index is None else \
        torch.zeros_like(x).scatter_(1, sp.index, inner.value)
    return CompressedBatch(value, sp.header_bits + torch.where(sp.sent, inner.bits, 0))
