"""Symmetric matrices as the entries of their upper triangle (what a matrix compressor sees).

A symmetric d x d matrix is sent as its ``D = d (d + 1) / 2`` upper-triangle entries, packed row
by row: entry ``(i, j)``, ``i <= j``, sits at ``i d - i (i - 1) / 2 + (j - i)``. Its Frobenius
norm counts an off-diagonal entry twice: ``||M||_F^2 = sum_diag u^2 + 2 sum_off u^2``.

A :class:`Packed` batch holds b such matrices, each on a *support*: the packed positions that
may be nonzero, ascending, padded with the sentinel ``D`` (whose value is 0). The dense layout
is the support ``0..D-1`` for every matrix; FedNL's batched clients use the positions where
their data can make the Hessian nonzero (a sparse dataset such as w8a keeps about a fifth of
them). Entry-wise compressors give the same result on either layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch


def upper_size(d: int) -> int:
    """D = d (d + 1) / 2, the number of upper-triangle entries of a d x d matrix."""
    return d * (d + 1) // 2


@lru_cache(maxsize=16)
def _upper_rows_cols(d: int) -> tuple[torch.Tensor, torch.Tensor]:
    rows, cols = torch.triu_indices(d, d)
    return rows, cols


def diagonal_mask(d: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(D + 1,) bool: True at the packed positions of diagonal entries (False at the sentinel)."""
    rows, cols = _upper_rows_cols(d)
    mask = torch.zeros(upper_size(d) + 1, dtype=torch.bool)
    mask[:-1] = rows == cols
    return mask.to(device)


def pack(matrices: torch.Tensor) -> torch.Tensor:
    """(..., d, d) symmetric matrices -> (..., D) upper-triangle entries."""
    d = matrices.shape[-1]
    rows, cols = _upper_rows_cols(d)
    flat = matrices.reshape(-1, d * d)
    index = (rows * d + cols).to(matrices.device).expand(flat.shape[0], -1)
    return flat.gather(1, index).reshape(*matrices.shape[:-2], upper_size(d))


def unpack(upper: torch.Tensor, d: int) -> torch.Tensor:
    """(..., D) upper-triangle entries -> (..., d, d) symmetric matrices."""
    rows, cols = (t.to(upper.device) for t in _upper_rows_cols(d))
    out = upper.new_zeros(*upper.shape[:-1], d, d)
    out[..., rows, cols] = upper
    out[..., cols, rows] = upper
    return out


def diagonal_positions(d: int) -> torch.Tensor:
    """(d,) packed positions of the diagonal entries."""
    i = torch.arange(d)
    return i * d - i * (i - 1) // 2


@dataclass(frozen=True)
class Packed:
    """A batch of b symmetric d x d matrices, each on its support.

    ``values[r, s]`` is the entry at packed position ``index[r, s]`` of matrix r; ``index == D``
    marks padding, whose value is 0. ``diagonal[r, i]`` is the slot of entry (i, i) (every
    support holds the diagonal).
    """

    values: torch.Tensor
    index: torch.Tensor
    d: int
    diagonal: torch.Tensor
    #: optional (b, D + 1) int32 slot of every packed position (-1 off the support), for
    #: compressors that pick positions at random (built once by whoever holds the supports)
    lookup: torch.Tensor | None = None

    @classmethod
    def dense(cls, values: torch.Tensor, d: int) -> Packed:
        """Matrices given by all their D packed entries, (b, D) or (D,)."""
        values = values.reshape(-1, upper_size(d))
        index = torch.arange(upper_size(d), device=values.device).expand_as(values)
        diagonal = diagonal_positions(d).to(values.device).expand(values.shape[0], d)
        return cls(values, index, d, diagonal)

    @property
    def size(self) -> int:
        """D, the entries of one full upper triangle."""
        return upper_size(self.d)

    @property
    def is_dense(self) -> bool:
        """True when every matrix is given by all D entries in order."""
        return self.values.shape[1] == self.size

    def is_diagonal(self, slots: torch.Tensor) -> torch.Tensor:
        """Whether each of the (b, K) ``slots`` holds a diagonal entry."""
        return diagonal_mask(self.d, self.index.device)[self.index.gather(1, slots)]

    def frobenius_sq(self) -> torch.Tensor:
        """(b,) squared Frobenius norms: twice all entries' squares minus the diagonal's."""
        diag = self.values.gather(1, self.diagonal)
        return 2.0 * torch.linalg.vector_norm(self.values, dim=1) ** 2 - (diag * diag).sum(1)

    def with_values(self, values: torch.Tensor) -> Packed:
        """The same supports with other values."""
        return Packed(values, self.index, self.d, self.diagonal, self.lookup)

    def to_dense(self) -> torch.Tensor:
        """(b, D) all packed entries (zeros off the supports)."""
        out = self.values.new_zeros(self.values.shape[0], self.size + 1)
        out.scatter_(1, self.index, self.values)
        return out[:, :-1]
