"""Sparse samples: the rows of a CSR matrix, held as three tensors (LIBSVM data, docs/datasets.md).

A LIBSVM file such as news20.binary has 1.36M features and about 450 nonzeros per sample: dense,
its 20k samples would take 200 GB; as rows of a compressed sparse row (CSR) matrix they take
about 100 MB. :class:`SparseRows` stands in for the dataset's input tensor wherever the
simulator uses one (shape, slicing and indexing of samples, ``to(device, dtype)``) and gives the
two products a linear model needs, ``A x`` and ``A^T r``, as segment sums (``index_add_``): no
torch sparse layout, so the same code runs on every device, deterministically on the CPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def _ranges(lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(block, offset in block) of every entry of consecutive blocks of ``lengths`` entries."""
    block = torch.repeat_interleave(torch.arange(len(lengths), device=lengths.device), lengths)
    starts = torch.cumsum(lengths, 0) - lengths
    return block, torch.arange(int(lengths.sum()), device=lengths.device) - starts[block]


class SparseRows:
    """Samples as CSR rows: ``crow`` (rows + 1 offsets), ``col`` and ``values`` of the nonzeros."""

    def __init__(self, crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor,
                 columns: int):
        self.crow, self.col, self.values, self.columns = crow, col, values, columns
        self._row_ids: torch.Tensor | None = None

    @classmethod
    def from_scipy(cls, matrix: Any) -> SparseRows:
        """From a scipy.sparse matrix (converted to CSR with sorted indices)."""
        m = matrix.tocsr()
        m.sort_indices()
        return cls(torch.from_numpy(m.indptr.astype(np.int64)),
                   torch.from_numpy(m.indices.astype(np.int64)),
                   torch.from_numpy(np.asarray(m.data, dtype=np.float64)), m.shape[1])

    @property
    def shape(self) -> torch.Size:
        return torch.Size((len(self.crow) - 1, self.columns))

    @property
    def dtype(self) -> torch.dtype:
        return self.values.dtype

    @property
    def device(self) -> torch.device:
        return self.values.device

    @property
    def nnz(self) -> int:
        return self.values.numel()

    def __len__(self) -> int:
        return len(self.crow) - 1

    def is_floating_point(self) -> bool:
        return True

    def to(self, device: torch.device | str | torch.dtype | None = None,
           dtype: torch.dtype | None = None) -> SparseRows:
        """The rows on ``device`` with values of ``dtype`` (itself when nothing changes).

        As with tensors, ``rows.to(torch.float64)`` changes the dtype only.
        """
        if isinstance(device, torch.dtype):
            device, dtype = None, device
        values = self.values.to(device=device, dtype=dtype)
        if values is self.values:
            return self
        return SparseRows(self.crow.to(device), self.col.to(device), values, self.columns)

    def cpu(self) -> SparseRows:
        """The rows in the CPU's memory."""
        return self.to("cpu")

    def row_ids(self) -> torch.Tensor:
        """The row of every nonzero (computed once)."""
        if self._row_ids is None:
            self._row_ids = torch.repeat_interleave(
                torch.arange(len(self), device=self.crow.device), self.crow.diff())
        return self._row_ids

    def __getitem__(self, index: Any) -> SparseRows:
        """Rows ``index``: a slice of consecutive rows, or a sequence of row numbers."""
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                stop = max(start, stop)
                a, b = int(self.crow[start]), int(self.crow[stop])
                return SparseRows(self.crow[start:stop + 1] - a, self.col[a:b], self.values[a:b],
                                  self.columns)
            index = torch.arange(start, stop, step)
        rows = torch.as_tensor(np.asarray(index) if not isinstance(index, torch.Tensor)
                               else index, dtype=torch.int64, device=self.crow.device)
        lengths, positions = self.select(rows)
        crow = torch.zeros(len(rows) + 1, dtype=torch.int64, device=self.crow.device)
        crow[1:] = torch.cumsum(lengths, 0)
        return SparseRows(crow, self.col[positions], self.values[positions], self.columns)

    def select(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(nonzeros per selected row, positions of their nonzeros in ``col``/``values``)."""
        lengths = self.crow[rows + 1] - self.crow[rows]
        block, offset = _ranges(lengths)
        return lengths, self.crow[rows][block] + offset

    def matvec(self, x: torch.Tensor) -> torch.Tensor:
        """``A x`` (one value per row)."""
        out = self.values.new_zeros(len(self))
        return out.index_add_(0, self.row_ids(), self.values * x[self.col])

    def rmatvec(self, r: torch.Tensor) -> torch.Tensor:
        """``A^T r`` (one value per column)."""
        out = self.values.new_zeros(self.columns)
        return out.index_add_(0, self.col, self.values * r[self.row_ids()])

    def to_dense(self) -> torch.Tensor:
        """The dense ``[rows, columns]`` matrix."""
        out = self.values.new_zeros(len(self), self.columns)
        out[self.row_ids(), self.col] = self.values
        return out

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The CSR arrays (row offsets, columns, values)."""
        return self.crow, self.col, self.values

    def to_scipy(self) -> Any:
        """The rows as a scipy.sparse CSR matrix (on the CPU)."""
        from scipy.sparse import csr_matrix
        return csr_matrix((self.values.cpu().numpy(), self.col.cpu().numpy(),
                           self.crow.cpu().numpy()), shape=tuple(self.shape))


def matvec(inputs: torch.Tensor | SparseRows, x: torch.Tensor) -> torch.Tensor:
    """``A x`` for dense samples (any input shape, flattened) or sparse ones."""
    if isinstance(inputs, SparseRows):
        return inputs.matvec(x)
    return (inputs if inputs.dim() == 2 else inputs.reshape(inputs.shape[0], -1)) @ x


def rmatvec(inputs: torch.Tensor | SparseRows, r: torch.Tensor) -> torch.Tensor:
    """``A^T r`` for dense samples (any input shape, flattened) or sparse ones."""
    if isinstance(inputs, SparseRows):
        return inputs.rmatvec(r)
    return (inputs if inputs.dim() == 2 else inputs.reshape(inputs.shape[0], -1)).T @ r


def dense_rows(inputs: torch.Tensor | SparseRows) -> torch.Tensor:
    """The samples as a dense ``[rows, features]`` matrix (second-order oracles need it)."""
    if isinstance(inputs, SparseRows):
        return inputs.to_dense()
    return inputs.reshape(inputs.shape[0], -1)


def dense_copy(dataset: Any, model: str) -> Any:
    """``dataset`` with dense samples, for ``--model``s that need them (not the linear ones).

    A ConfigError naming the model when the dense samples would not fit in this machine's
    memory.
    """
    import dataclasses

    from ..errors import ConfigError
    from ..utils.sizes import human_bytes, machine_memory
    parts = [t for t in (dataset.x, dataset.test_x) if isinstance(t, SparseRows)]
    need = sum(8 * t.shape[0] * t.shape[1] for t in parts)
    if need > machine_memory():
        raise ConfigError(f"--model: {model!r} needs the samples of dataset {dataset.name!r} "
                          f"dense: {human_bytes(need)}, more than this machine's memory; "
                          "valid with these data: linear, logistic_regression (sparse samples)")
    return dataclasses.replace(dataset, **{k: getattr(dataset, k).to_dense() for k in
                                           ("x", "test_x")
                                           if isinstance(getattr(dataset, k), SparseRows)})
