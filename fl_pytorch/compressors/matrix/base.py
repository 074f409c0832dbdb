"""The matrix-compressor contract and its registry (``--algorithm-options compressor:SPEC``).

A matrix compressor maps a batch of symmetric d x d matrices (:class:`~.packed.Packed`) to their
compressed versions and reports, per matrix, the exact bits of its wire encoding: values, indices
and any count, with symmetric matrices sent as their D = d (d + 1) / 2 upper-triangle entries.
Two families, in the Frobenius norm of the whole matrix:

* unbiased: ``E C(M) = M`` and ``E ||C(M) - M||_F^2 <= omega ||M||_F^2``;
* contractive: ``E ||C(M) - M||_F^2 <= (1 - delta) ||M||_F^2``.

Randomness comes only from the generators handed to :meth:`MatrixCompressor.compress`, one per
matrix. ``entrywise`` compressors act on each entry (zeros stay zeros): they give identical
results on a sparse support and on the dense layout.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ...registry import Registry
from ..base import value_bits
from .packed import Packed, upper_size

#: name -> factory(args: list[str]) -> MatrixCompressor; factories raise ValueError
MATRIX_COMPRESSORS: Registry[Callable[[list[str]], MatrixCompressor]] = Registry(
    "matrix compressor", "--algorithm-options compressor")
MATRIX_USAGE: dict[str, str] = {}


def register_matrix_compressor(name: str, usage: str):
    """Decorator: register a factory under ``name`` with its usage text (e.g. ``topk:K``)."""
    def deco(factory: Callable[[list[str]], MatrixCompressor]):
        MATRIX_COMPRESSORS.register(name, factory)
        MATRIX_USAGE[name] = usage
        return factory
    return deco


def index_bits(size: int) -> int:
    """Bits of one packed position among ``size``: ceil(log2 size), at least 1."""
    return max(1, math.ceil(math.log2(size))) if size > 1 else 1


@dataclass
class MatrixMessage:
    """What a matrix compressor sends for a batch: per-matrix bits and the decoded matrices.

    Dense messages give ``values`` (b, P) on the supports; sparsifiers give the ``slots``
    (b, K) they send and the decoded values there, ``kept`` (zero everywhere else), which lets
    the receiver touch K entries instead of P.
    """

    bits: torch.Tensor
    values: torch.Tensor | None = None
    slots: torch.Tensor | None = None
    kept: torch.Tensor | None = None

    def dense(self, like: torch.Tensor) -> torch.Tensor:
        """(b, P) decoded values on the supports of ``like``."""
        if self.values is not None:
            return self.values
        return torch.zeros_like(like).scatter_add_(1, self.slots, self.kept)

    def add_to(self, target: torch.Tensor, alpha: float) -> None:
        """``target += alpha C(M)`` in place, on the (b, P) supports."""
        if self.values is not None:
            target.add_(self.values, alpha=alpha)
        else:
            target.scatter_add_(1, self.slots, self.kept * alpha)

    def weighted_sum(self, share: torch.Tensor, index: torch.Tensor, size: int) -> torch.Tensor:
        """``sum_r share_r C(M_r)`` as all ``size`` packed entries."""
        if self.values is not None and index.shape[1] == size:
            return share @ self.values
        out = torch.zeros(size + 1, dtype=share.dtype, device=share.device)
        if self.values is not None:
            out.index_add_(0, index.reshape(-1), (self.values * share[:, None]).reshape(-1))
        else:
            out.index_add_(0, index.gather(1, self.slots).reshape(-1),
                           (self.kept * share[:, None]).reshape(-1))
        return out[:-1]


class MatrixCompressor(ABC):
    """Base class: subclasses set ``unbiased`` (and ``entrywise``) and implement ``compress``."""

    spec: str = ""
    unbiased: bool = True
    entrywise: bool = True
    #: picks packed positions at random (a ``Packed.lookup`` of slots makes it faster)
    random_positions: bool = False

    @abstractmethod
    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        """The compressed matrices (one generator per matrix) and their bits."""

    def omega(self, d: int) -> float:
        """Variance parameter of an unbiased compressor for d x d matrices."""
        raise TypeError(f"matrix compressor {self.spec!r} is contractive; it has delta, not omega")

    def delta(self, d: int) -> float:
        """Contraction parameter (an unbiased C scaled by 1/(omega+1) has 1/(omega+1))."""
        return 1.0 / (self.omega(d) + 1.0)

    def __repr__(self) -> str:
        return self.spec


class Count:
    """A size argument: ``K`` entries, ``P%`` of the D upper-triangle entries, or ``Nd`` (N d)."""

    def __init__(self, text: str, what: str = "K"):
        self.text = text
        body = text[:-1] if text.endswith(("%", "d")) else text
        try:
            value = float(body)
        except ValueError:
            value = math.nan
        kind = text[-1] if text.endswith(("%", "d")) else "k"
        valid = value > 0 and (kind != "%" or value <= 100) and (kind != "k" or value.is_integer())
        if not valid:
            raise ValueError(f"{what} must be a positive integer, a percentage P% in (0%, 100%] "
                             f"of the d(d+1)/2 upper-triangle entries, or Nd (N times d)")
        self.kind, self.value = kind, value

    def resolve(self, d: int, cap: int | None = None) -> int:
        """The count for d x d matrices, at least 1 and at most ``cap`` (default D).

        A percentage is of ``cap`` (of the D entries, or of the d eigenpairs for a rank).
        """
        cap = upper_size(d) if cap is None else cap
        if self.kind == "%":
            raw = round(self.value / 100.0 * cap)
        elif self.kind == "d":
            raw = round(self.value * d)
        else:
            raw = int(self.value)
        return max(1, min(cap, raw))

    def __str__(self) -> str:
        return self.text



def bits_of(t: torch.Tensor, count: int) -> torch.Tensor:
    """(b,) int64 tensor of ``count`` bits for each matrix of a batch."""
    return torch.full((t.shape[0],), count, dtype=torch.int64)


def values_bits(m: Packed) -> int:
    """Bits of one value of the batch's dtype."""
    return value_bits(m.values)


def register_counted(name: str, compressor: Callable[[Count], MatrixCompressor]) -> None:
    """Register ``compressor`` under ``name``, built from the spec ``name:K`` (one count)."""
    def factory(args: list[str]) -> MatrixCompressor:
        if len(args) != 1:
            raise ValueError(f"{name} takes one argument, the count K")
        return compressor(Count(args[0]))
    register_matrix_compressor(name, f"{name}:K")(factory)
