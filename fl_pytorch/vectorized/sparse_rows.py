"""A group's sparse samples for one step: the nonzeros of the selected rows, with their owners.

Closed-form linear gradients of many clients at once are then two segment sums over these
nonzeros (``vectorized/oracles.py``): the margins ``z_r = sum_nnz a_rk y_{c(r), k}`` per row and
the gradients ``g_{c, k} = sum_nnz a_rk s_r`` per (client, column).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..data.sparse import SparseRows


@dataclass
class SparseStep:
    """The nonzeros of the step's rows (rows numbered 0..R-1 in gathering order)."""

    rows: int  # R
    clients: int  # C
    row_owner: torch.Tensor  # [R]: the client (0..C-1) of each row
    nnz_row: torch.Tensor  # [nnz]: the row of each nonzero
    nnz_owner: torch.Tensor  # [nnz]: the client of each nonzero
    col: torch.Tensor  # [nnz]
    values: torch.Tensor  # [nnz]


def gather_sparse(x: SparseRows, rows: torch.Tensor, owner: torch.Tensor, clients: int
                  ) -> SparseStep:
    """The nonzeros of dataset rows ``rows``, row r belonging to client ``owner[r]``."""
    lengths, positions = x.select(rows)
    nnz_row = torch.repeat_interleave(torch.arange(len(rows), device=rows.device), lengths)
    return SparseStep(len(rows), clients, owner, nnz_row, owner[nnz_row], x.col[positions],
                      x.values[positions])
