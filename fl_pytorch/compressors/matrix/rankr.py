"""``rank:R``: the best rank-R approximation of a symmetric matrix (FedNL paper's Rank-R).

``M = sum_i lambda_i v_i v_i^T`` (``torch.linalg.eigh``); C(M) keeps the R eigenpairs of largest
``|lambda_i|``, which by Eckart-Young is the best rank-R approximation in the Frobenius norm:
``||C(M) - M||_F^2 = sum_{rest} lambda_i^2 <= (1 - R/d) ||M||_F^2``, so delta = R/d
(attained when all |lambda_i| are equal). Deterministic up to the eigenvectors' signs, which
cancel in ``v v^T``. Bits = R (d + 1) b: R eigenvectors and R eigenvalues. Not entry-wise (a
low-rank approximation of a sparse matrix is dense): it needs the dense layout.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .base import (
    Count,
    MatrixCompressor,
    MatrixMessage,
    bits_of,
    register_matrix_compressor,
    values_bits,
)
from .packed import Packed, pack, unpack


class RankR(MatrixCompressor):
    """Truncated eigendecomposition."""

    unbiased = False
    entrywise = False

    def __init__(self, count: Count):
        self.count = count

    def rank(self, d: int) -> int:
        """R for d x d matrices (capped at d)."""
        return self.count.resolve(d, cap=d)

    def compress(self, m: Packed, generators: Sequence[torch.Generator]) -> MatrixMessage:
        if not m.is_dense:
            raise ValueError("rank:R needs the dense layout of the matrices")
        d, r = m.d, self.rank(m.d)
        eigenvalues, vectors = torch.linalg.eigh(unpack(m.values, d))
        keep = eigenvalues.abs().topk(r, dim=1).indices
        lam = eigenvalues.gather(1, keep)
        v = vectors.gather(2, keep[:, None, :].expand(-1, d, -1))
        low = (v * lam[:, None, :]) @ v.transpose(1, 2)
        return MatrixMessage(bits_of(low, r * (d + 1) * values_bits(m)), values=pack(low))

    def delta(self, d: int) -> float:
        return self.rank(d) / d


@register_matrix_compressor("rank", "rank:R")
def _rank(args: list[str]) -> RankR:
    if len(args) != 1:
        raise ValueError("rank takes one argument, the rank R (a count, P% of d, or Nd)")
    return RankR(Count(args[0], "R"))
