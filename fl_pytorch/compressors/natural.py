"""Natural compression ``natural``: stochastic rounding to powers of two.

Horvath et al. 2019, "Natural compression for distributed deep learning", arXiv:1905.10988.

Each nonzero x_i with 2^e <= |x_i| < 2^(e+1) becomes sign(x_i) 2^(e+1) with probability
|x_i|/2^e - 1, else sign(x_i) 2^e; zeros stay zero. Unbiased, and per coordinate
Var = (|x_i| - 2^e)(2^(e+1) - |x_i|) <= x_i^2 / 8 (maximum at |x_i| = 4/3 2^e), so omega = 1/8,
attained when every |x_i| is 4/3 times a power of two.

Bits = d * (1 + e_b): a sign bit and the exponent field of the dtype (e_b = 8 for fp32 and bf16,
11 for fp64, 5 for fp16); the mantissa is dropped. Zero is the exponent code 0, so it costs the
same. (A value within a factor 2 of the dtype's largest finite value may round up to inf.)
"""

from __future__ import annotations

import torch

from .base import Compressed, CompressedBatch, Compressor, row_draws, same_bits
from .spec import ignored_argument, register_compressor

_EXPONENT_BITS = {torch.float16: 5, torch.bfloat16: 8, torch.float32: 8, torch.float64: 11}


def exponent_bits(dtype: torch.dtype) -> int:
    """Bits of the exponent field of a floating dtype."""
    return _EXPONENT_BITS[dtype]


def round_to_powers_of_two(r: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Unbiased stochastic rounding of r >= 0 to the two nearest powers of two (0 stays 0).

    Args:
        r: non-negative values.
        u: uniform [0, 1) draws of the same shape.
    """
    m, e = torch.frexp(r)  # r = m 2^e, m in [1/2, 1): lower = 2^(e-1), P(up) = 2m - 1
    lower = torch.ldexp(torch.full_like(r, 0.5), e)
    return torch.where(r > 0, lower * (1 + (u < 2 * m - 1).to(r.dtype)), torch.zeros_like(r))


class Natural(Compressor):
    """Stochastic rounding of each |x_i| to a power of two."""

    unbiased = True

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        u = torch.rand(x.shape, generator=generator, device=generator.device, dtype=x.dtype)
        value = torch.sign(x) * round_to_powers_of_two(x.abs(), u.to(x.device))
        return Compressed(value, x.numel() * (1 + exponent_bits(x.dtype)))

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        d = x.shape[1]
        u = row_draws(generators, lambda g, at: torch.rand(d, generator=g, device=at,
                                                       dtype=x.dtype), x.device)
        value = torch.sign(x) * round_to_powers_of_two(x.abs(), u)
        return CompressedBatch(value, same_bits(x.shape[0], d * (1 + exponent_bits(x.dtype))))

    def omega(self, d: int) -> float:
        return 1.0 / 8.0


@register_compressor("natural", "natural")
def _build(args: list[str]) -> Natural:
    ignored_argument("natural", args)
    return Natural()
