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

from dataclasses import dataclass, field
from typing import Any

import torch

from ..data.sparse import SparseRows
from ..utils.lists import float64_tensor, int64_tensor
from .sparse_rows import SparseStep, gather_sparse


@dataclass
class StepRows:
    """One step's samples of a group of clients."""

    counts: torch.Tensor  # [C] int64 (CPU): samples of each client in this step
    full: torch.Tensor  # [C] bool (CPU): the step uses all of the client's samples
    inputs: torch.Tensor | SparseStep  # [C, B, ...] (dense) or the selected nonzeros
    targets: torch.Tensor  # [C, B, ...], zero where padded
    uniform: bool  # every client has B samples (no padding)
    _scales: dict = field(default_factory=dict)

    def scale(self, numerator: float, dtype: torch.dtype, device: torch.device
              ) -> torch.Tensor:
        """``numerator / count`` per client as a ``[C, 1]`` column (Python's division)."""
        key = (numerator, dtype, device)
        if key not in self._scales:
            values = [numerator / n for n in self.counts.tolist()]
            self._scales[key] = float64_tensor(values).to(device=device, dtype=dtype)[:, None]
        return self._scales[key]


def _ranges(counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(owner, position) of every entry of consecutive blocks of ``counts`` entries."""
    owner = torch.repeat_interleave(torch.arange(len(counts)), counts)
    starts = torch.cumsum(counts, 0) - counts
    return owner, torch.arange(int(counts.sum())) - starts[owner]


class ClientRows:
    """Where every client's samples are, and the gathering of a group's minibatches."""

    def __init__(self, dataset: Any, device: torch.device):
        self.x, self.y, self.device = dataset.x, dataset.y, device
        sizes = [len(ix) for ix in dataset.client_indices]
        self.sizes = torch.tensor(sizes, dtype=torch.int64)
        self.starts = torch.cumsum(self.sizes, 0) - self.sizes
        self.rows = torch.cat([ix.cpu() for ix in dataset.client_indices]).to(device) \
            if sizes else torch.zeros(0, dtype=torch.int64, device=device)
        self.sparse = isinstance(self.x, SparseRows)
        self.blocks = self._blocks(sizes)

    def _blocks(self, sizes: list[int]) -> tuple[torch.Tensor, torch.Tensor] | None:
        """Every client's samples as one ``[clients, n, ...]`` view, when they allow it.

        That is when the clients have n samples each, stored in client order (the layout of the
        generated quadratic problem and of equal splits of centralized data).
        """
        if not isinstance(self.x, torch.Tensor) or not sizes or len(set(sizes)) > 1 \
                or len(self.rows) != len(self.x) \
                or not bool((self.rows == torch.arange(len(self.rows), device=self.device)).all()):
            return None
        c, n = len(sizes), sizes[0]
        return self.x.reshape(c, n, *self.x.shape[1:]), self.y.reshape(c, n, *self.y.shape[1:])

    def gather(self, client_ids: list[int], batches: list[torch.Tensor | None]) -> StepRows:
        """The step whose minibatch of client ``client_ids[j]`` is ``batches[j]``."""
        ids = int64_tensor(client_ids)
        sizes = self.sizes[ids]
        everything = all(b is None for b in batches)
        if everything and self.blocks is not None:
            where = ids.to(self.device)
            return StepRows(sizes, torch.ones(len(ids), dtype=torch.bool),
                            self.blocks[0].index_select(0, where),
                            self.blocks[1].index_select(0, where), uniform=True)
        if everything:
            counts = sizes
            owner, local = _ranges(counts)
        else:
            parts = [torch.arange(int(n)) if b is None else b.cpu()
                     for b, n in zip(batches, sizes)]
            counts = int64_tensor([len(p) for p in parts])
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
        x, y = self.x.index_select(0, rows), self.y.index_select(0, rows)
        if bool((counts == width).all()):
            return StepRows(counts, full, x.reshape(c, width, *x.shape[1:]),
                            y.reshape(c, width, *y.shape[1:]), uniform=True)
        _, position = _ranges(counts)
        where = (owner.to(self.device), position.to(self.device))
        inputs = x.new_zeros((c, width, *x.shape[1:]))
        targets = y.new_zeros((c, width, *y.shape[1:]))
        inputs[where], targets[where] = x, y
        return StepRows(counts, full, inputs, targets, uniform=False)
