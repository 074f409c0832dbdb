"""Rank-k ``rank_k:k`` or ``rank_k:P%``: best rank-k approximation of x viewed as a matrix.

Low-rank compression as in Vogels et al. 2019, "PowerSGD", arXiv:1905.13727, but with an exact
SVD instead of power iteration.

x (dimension d) is zero-padded and reshaped row-major into the most square m x n matrix X with
m = ceil(sqrt(d)) rows and n = ceil(d / m) columns (m * n >= d, m - n in {0, 1}); let r = n =
min(m, n). k is capped at r; with ``P%``, k = ceil(P/100 * d) with d the vector length (the
original tool's rule), at least 1. C(x) is the first d
entries of X_k = U_k diag(sigma_k) V_k^T (``torch.linalg.svd``).

Contractive: by Eckart-Young ||X - X_k||_F^2 = sum_{i>k} sigma_i^2 <= (1 - k/r) ||X||_F^2 (the
k largest of r squared singular values hold at least a k/r share), and the zero padding changes
no norm; alpha = k / r (attained when all singular values are equal, e.g. x = flattened identity).
Deterministic. Bits = k * (m + n + 1) * b: the k columns of U (m values each), the k rows of
V^T (n values each) and the k singular values; m and n follow from d.
"""

from __future__ import annotations

import math
from fractions import Fraction

import torch

from .base import Compressed, CompressedBatch, Compressor, same_bits, value_bits
from .spec import parse_count, register_compressor, resolve_count


def matrix_shape(d: int) -> tuple[int, int]:
    """The most square (rows, columns) with rows * columns >= d, rows >= columns."""
    m = math.isqrt(d - 1) + 1 if d > 1 else 1  # ceil(sqrt(d))
    return m, -(-d // m)


class RankK(Compressor):
    """Truncated SVD of the reshaped vector."""

    unbiased = False

    def __init__(self, k: int | None, frac: Fraction | None):
        self.k, self.frac = k, frac

    def rank(self, d: int) -> int:
        """The rank k for dimension d (capped at min(m, n))."""
        return min(resolve_count(self.k, self.frac, d), min(matrix_shape(d)))

    def compress(self, x: torch.Tensor, generator: torch.Generator) -> Compressed:
        d = x.numel()
        m, n = matrix_shape(d)
        k = self.rank(d)
        mat = torch.nn.functional.pad(x, (0, m * n - d)).reshape(m, n)
        u, s, vh = torch.linalg.svd(mat, full_matrices=False)
        low = (u[:, :k] * s[:k]) @ vh[:k]
        return Compressed(low.reshape(-1)[:d], k * (m + n + 1) * value_bits(x))

    def compress_batch(self, x: torch.Tensor, generators) -> CompressedBatch:
        rows, d = x.shape
        m, n = matrix_shape(d)
        k = self.rank(d)
        mats = torch.nn.functional.pad(x, (0, m * n - d)).reshape(rows, m, n)
        u, s, vh = torch.linalg.svd(mats, full_matrices=False)
        low = (u[..., :k] * s[:, None, :k]) @ vh[:, :k]
        return CompressedBatch(low.reshape(rows, -1)[:, :d],
                               same_bits(rows, k * (m + n + 1) * value_bits(x)))

    def alpha(self, d: int) -> float:
        return self.rank(d) / min(matrix_shape(d))


@register_compressor("rank_k", "rank_k:k or rank_k:P% (ceil(P% of d), at most min(m, n); x "
                     "viewed as m x n)")
def _build(args: list[str]) -> RankK:
    if len(args) != 1:
        raise ValueError("rank_k takes one argument, the rank k or a percentage")
    return RankK(*parse_count(args[0], "k"))
