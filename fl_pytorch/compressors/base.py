"""The compressor contract.

A compressor maps a flat 1-D tensor ``x`` of dimension d to ``C(x)`` and reports the exact number
of bits its wire encoding costs (values AND indices). Two families:

* unbiased: ``E[C(x)] = x`` and ``E||C(x) - x||^2 <= omega(d) ||x||^2``;
* contractive (biased): ``||C(x) - x||^2 <= (1 - alpha(d)) ||x||^2``.

Randomness comes only from the generator handed to :meth:`compress`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import NamedTuple

import torch


class Compressed(NamedTuple):
    """A compressed message: the tensor the receiver reconstructs and its cost in bits."""

    value: torch.Tensor
    bits: int


def value_bits(x: torch.Tensor) -> int:
    """Bits of one uncompressed value of ``x``'s dtype (32 for fp32, 64 for fp64)."""
    return torch.finfo(x.dtype).bits


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

    def omega(self, d: int) -> float:
        """Variance parameter of an unbiased compressor for dimension d."""
        raise TypeError(f"compressor {self.spec!r} is contractive; it has alpha, not omega")

    def alpha(self, d: int) -> float:
        """Contraction parameter; an unbiased C scaled by 1/(omega+1) has alpha = 1/(omega+1)."""
        return 1.0 / (self.omega(d) + 1.0)

    def __repr__(self) -> str:
        return f"<compressor {self.spec}>"
