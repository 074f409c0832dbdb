"""The samples of a group of clients for one local step, gathered at once for a batched oracle.

Every client's samples are rows of the dataset's one tensor pair (``dataset.client_indices``).
For a step, each client of the group has its minibatch (local sample indices drawn from its own
generator by ``core/batches.py``, or None for all of its samples); :meth:`ClientRows.gather`
turns the group's minibatches into one index, and the inputs into a ``[clients, B, ...]``
block (B the largest minibatch; shorter ones padded with zero samples whose targets are zero,
which add nothing to a closed-form linear gradient) or, for sparse data, into the nonzeros of
the selected rows (``vectorized/sparse_rows.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..data.sparse import SparseRows
from .sparse_rows import SparseStep, gather_sparse


@dataclass
class StepRows:
    """One step's samples of a group of clients."""

    counts: torch.Tensor  # [C] int64 (CPU): samples of each client in this step
    full: torch.Tensor  # [C] bool (CPU): the step uses all of the client's samples
    inputs: torch.Tensor | SparseStep  # [C, B, ...] (dense) or the selected nonzeros
    targets: torch.Tensor  # [C, B, ...], zero where padded
    uniform: bool  # every client has B samples (no padding)

    def scale(self, numerator: float, dtype: torch.dtype, device: torch.device
              ) -> torch.Tensor:
        """``numerator / count`` per client as a ``[C, 1]`` column (Python's division)."""
        values = [numerator / n for n in self.counts.tolist()]
        return torch.tensor(values, dtype=dtype, device=device)[:, None]


def _ranges(counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(owner, position) of every entry of consecutive blocks of ``counts`` entries."""
    owner = torch.repeat_interleave(torch.arange(len(counts)), counts)
    starts = torch.cumsum(counts, 0) - counts
    return owner, torch.arange(int(counts.sum())) - starts[owner]


class ClientRows:
    """Where every client's samples are, and the gathering of a group's minibatches."""

    def __init__(self, dataset: Any, device: torch.device):
        self.x, self.y, self.device = dataset.x, dataset.y, device
        self.sizes = torch.tensor([len(ix) for ix in dataset.client_indices], dtype=torch.int64)
        self.starts = torch.cumsum(self.sizes, 0) - self.sizes
        self.rows = torch.cat([ix.cpu() for ix in dataset.client_indices]).to(device) \
            if len(self.sizes) else torch.zeros(0, dtype=torch.int64, device=device)
        self.sparse = isinstance(self.x, SparseRows)

    def gather(self, client_ids: list[int], batches: list[torch.Tensor | None]) -> StepRows:
        """The step whose minibatch of client ``client_ids[j]`` is ``batches[j]``."""
        ids = torch.tensor(client_ids, dtype=torch.int64)
        sizes = self.sizes[ids]
        if all(b is None for b in batches):
            counts = sizes
            owner, local = _ranges(counts)
        else:
            parts = [torch.arange(int(n)) if b is None else b.cpu()
                     for b, n in zip(batches, sizes)]
            counts = torch.tensor([len(p) for p in parts], dtype=torch.int64)
            owner, _ = _ranges(counts)
            local = torch.cat(parts)
        rows = self.rows[(self.starts[ids][owner] + local).to(self.device)]
        full = counts == sizes
        if self.sparse:
            return StepRows(counts, full, gather_sparse(self.x, rows, owner.to(self.device),
                                                        len(client_ids)),
                            self.y[rows], uniform=False)
        return self._dense(counts, full, rows, owner)

    def _dense(self, counts: torch.Tensor, full: torch.Tensor, rows: torch.Tensor,
               owner: torch.Tensor) -> StepRows:
        c, width = len(counts), int(counts.max()) if len(counts) else 0
        x, y = self.x[rows], self.y[rows]
        if bool((counts == width).all()):
            return StepRows(counts, full, x.reshape(c, width, *x.shape[1:]),
                            y.reshape(c, width, *y.shape[1:]), uniform=True)
        _, position = _ranges(counts)
        where = (owner.to(self.device), position.to(self.device))
        inputs = x.new_zeros((c, width, *x.shape[1:]))
        targets = y.new_zeros((c, width, *y.shape[1:]))
        inputs[where], targets[where] = x, y
        return StepRows(counts, full, inputs, targets, uniform=False)
