"""The compressor contract.

A compressor maps a flat 1-D tensor ``x`` of dimension d to ``C(x)`` and reports the exact number
of bits its wire encoding costs (values AND indices). Two families:

* unbiased: ``E[C(x)] = x`` and ``E||C(x) - x||^2 <= omega(d) ||x||^2``;
* contractive (biased): ``||C(x) - x||^2 <= (1 - alpha(d)) ||x||^2``.

Randomness comes only from the generator handed to :meth:`compress`. The batched form,
:meth:`Compressor.compress_batch`, compresses the rows of a ``[clients, d]`` stack, row ``j`` with
the ``j``-th client's generator, drawing exactly what :meth:`compress` draws on that row (the
vectorized executor's equality with the per-client path rests on it).
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch


class Compressed(NamedTuple):
    """A compressed message: the tensor the receiver reconstructs and its cost in bits."""

    value: torch.Tensor
    bits: int


class CompressedBatch(NamedTuple):
    """Compressed rows: the ``[clients, d]`` tensor the server reconstructs, bits per row."""

    value: torch.Tensor
    #: int64 on the CPU, one entry per row
    bits: torch.Tensor


def row_draws(generators: Sequence[torch.Generator],
              draw: Callable[[torch.Generator, torch.device], torch.Tensor],
              device: torch.device) -> torch.Tensor:
    """``draw(g, g.device)`` for every client's generator, stacked on ``device``.

    One draw per row; the generators of a batch share one device (the CPU, as the per-client
    streams of ``utils/rng.py``).
    """
    where = generators[0].device
    return torch.stack([draw(g, where) for g in generators]).to(device)


def same_bits(rows: int, bits: int) -> torch.Tensor:
    """The bits of ``rows`` messages that all cost ``bits``."""
    return torch.full((rows,), bits, dtype=torch.int64)


_VALUE_BITS: dict[torch.dtype, int] = {}


def value_bits(x: torch.Tensor) -> int:
    """Bits of one uncompressed value of ``x``'s dtype (32 for fp32, 64 for fp64)."""
    bits = _VALUE_BITS.get(x.dtype)
    if bits is None:
        bits = _VALUE_BITS[x.dtype] = torch.finfo(x.dtype).bits
    return bits


@functools.lru_cache(maxsize=1024)
def index_bits(d: int) -> int:
    """Bits of one index into a vector of dimension d: ceil(log2 d) (at least 1)."""
    return max(1, math.ceil(math.log2(d))) if d > 1 else 1


class Compressor(ABC):
    """Base class: subclasses set ``unbiased`` and implement ``compress`` and omega or alpha."""

    #: the spec string it was built from, e.g. ``randk:40%``
    spec: str = ""
    #: True for unbiased compressors, False for contractive (biased) ones
    unbiased: bool = True

    @abstractmethod
    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        """Compress the flat tensor ``x`` using only ``generator`` for randomness."""

    def compress_batch(self, x: torch.Tensor, generators: Sequence[torch.Generator]
                       ) -> CompressedBatch:
        """Row ``j`` of the ``[clients, d]`` stack ``x`` compressed with ``generators[j]``.

        This default calls :meth:`compress` row by row; built-in compressors override it with
        tensor operations over the whole stack that draw the same numbers.
        """
        outs = [self.compress(row, g) for row, g in zip(x, generators)]
        return CompressedBatch(torch.stack([o.value for o in outs]),
                               torch.tensor([o.bits for o in outs], dtype=torch.int64))

    def omega(self, d: int) -> float:
        """Variance parameter of an unbiased compressor for dimension d."""
        raise TypeError(f"compressor {self.spec!r} is contractive; it has alpha, not omega")

    def alpha(self, d: int) -> float:
        """Contraction parameter; an unbiased C scaled by 1/(omega+1) has alpha = 1/(omega+1)."""
        return 1.0 / (self.omega(d) + 1.0)

    def __repr__(self) -> str:
        return f"<compressor {self.spec}>"
