"""TernGrad ``terngrad``: stochastic ternarization {-1, 0, 1} * max |x_i|.

Wen et al. 2017, "TernGrad: ternary gradients to reduce communication in distributed deep
learning", arXiv:1705.07878, without the paper's gradient clipping.

With m = max_i |x_i|: C(x)_i = m sign(x_i) b_i, b_i ~ Bernoulli(|x_i| / m) independent; C(0) = 0.
Unbiased, and E||C(x) - x||^2 = sum_i |x_i| (m - |x_i|) = m ||x||_1 - ||x||^2.

omega(d) = (sqrt(d) - 1) / 2, the exact worst case. Scale so m = 1 and let y_j in [0, 1] be the
other d - 1 magnitudes: the ratio is N/D with N = sum_j y_j (1 - y_j), D = 1 + sum_j y_j^2. At the
maximum lambda = N/D, y maximises N - lambda D, which is separable and strictly concave in each
y_j, so all y_j are equal to some t; maximising (d-1) t (1-t) / (1 + (d-1) t^2) gives
t = 1/(sqrt(d) + 1) and the value (sqrt(d) - 1)/2. (The cruder m ||x||_1 <= sqrt(d) ||x||^2 gives
sqrt(d) - 1.)

Bits = b + 2 d: the scale m, then a 2-bit code for each ternary entry in {-1, 0, 1}.
"""

from __future__ import annotations

import math

import torch

from .base import Compressed, CompressedBatch, Compressor, row_draws, same_bits, value_bits
from .spec import ignored_argument, register_compressor


class TernGrad(Compressor):
    """Stochastic ternarization scaled by max |x_i|."""

    unbiased = True

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        m = x.abs().max()
        safe = torch.where(m > 0, m, torch.ones_like(m))
        u = torch.rand(x.shape, generator=generator, device=generator.device, dtype=x.dtype)
        keep = (u.to(x.device) < x.abs() / safe).to(x.dtype)
        return Compressed(m * torch.sign(x) * keep, value_bits(x) + 2 * x.numel())

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        d = x.shape[1]
        m = x.abs().amax(dim=1, keepdim=True)
        safe = torch.where(m > 0, m, torch.ones_like(m))
        u = row_draws(generators, lambda g, at: torch.rand(d, generator=g, device=at,
                                                       dtype=x.dtype), x.device)
        keep = (u < x.abs() / safe).to(x.dtype)
        return CompressedBatch(m * torch.sign(x) * keep,
                               same_bits(x.shape[0], value_bits(x) + 2 * d))

    def omega(self, d: int) -> float:
        return (math.sqrt(d) - 1.0) / 2.0


@register_compressor("terngrad", "terngrad")
def _build(args: list[str]) -> TernGrad:
    ignored_argument("terngrad", args)
    return TernGrad()
