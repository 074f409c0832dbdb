"""``ident`` and ``natural`` on symmetric matrices: every upper-triangle entry is sent.

* ``ident``: C(M) = M; omega = 0; bits = D b (D = d(d+1)/2 entries of b bits each).
* ``natural`` (Horvath et al. 2019, arXiv:1905.10988): each entry is rounded at random to one of
  the two nearest powers of two, unbiased, per-entry variance <= u^2/8, so in the Frobenius norm
  (weights factor out) omega = 1/8. Bits = D (1 + e): sign and exponent (e = 11 for fp64, 8 for
  fp32), the mantissa dropped, as uFedNL packs two fp64 entries in 3 bytes. The D uniform draws
  of a matrix come from its generator in packed order, whatever its support, so a sparse support
  gives the dense layout's result.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..natural import exponent_bits, round_to_powers_of_two
from .base import (
    MatrixCompressor,
    MatrixMessage,
    bits_of,
    register_matrix_compressor,
    values_bits,
)
from .packed import Packed


class MatrixIdentity(MatrixCompressor):
    """Sends the whole upper triangle."""

    unbiased = True

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        return MatrixMessage(bits_of(m.values, m.size * values_bits(m)), values=m.values)

    def omega(self, d: int) -> float:
        return 0.0


class MatrixNatural(MatrixCompressor):
    """Stochastic rounding of every entry to a power of two."""

    unbiased = True

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        size, v = m.size, m.values
        draws = torch.stack([torch.rand(size, generator=g, device=g.device, dtype=v.dtype)
                             for g in generators]).to(v.device)
        u = draws.gather(1, m.index.clamp(max=size - 1))
        out = torch.sign(v) * round_to_powers_of_two(v.abs(), u)
        return MatrixMessage(bits_of(v, size * (1 + exponent_bits(v.dtype))), values=out)

    def omega(self, d: int) -> float:
        return 1.0 / 8.0


def _no_args(name: str, args: list[str]) -> None:
    if args:
        raise ValueError(f"{name} takes no arguments")


@register_matrix_compressor("ident", "ident")
def _identity(args: list[str]) -> MatrixIdentity:
    _no_args("ident", args)
    return MatrixIdentity()


@register_matrix_compressor("natural", "natural")
def _natural(args: list[str]) -> MatrixNatural:
    _no_args("natural", args)
    return MatrixNatural()
