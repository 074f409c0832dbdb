"""Sparse structures of the batched GLM oracles (``core/client_batch.py``), built once.

For sparse data (LIBSVM w8a: about 14 nonzeros of 301 features per sample) the Hessian
``1/m_i sum_s c_s a_s a_s^T`` of client i is nonzero only where two features occur together in
one of its samples (plus the diagonal, where an l2 term sits). Every client's Hessian is then
one row block of a single sparse matrix ``M`` with one row per (client, support position) and one
column per sample: ``M[(i, (j, l)), s] = a_sj a_sl``, so all clients' upper triangles are the one
product ``M @ c`` (CSR, int32 indices). Gradients are ``G @ r`` with ``G[(i, j), s] = a_sj``, the
margins ``A @ x``. Pairs are generated client chunk by client chunk to bound memory.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

from ..compressors.matrix.packed import upper_size

CHUNK_ENTRIES = 250_000  # pairs generated at once (about 25 MB of temporaries)


def packed_position(j: torch.Tensor, col: torch.Tensor, d: int) -> torch.Tensor:
    """Packed upper-triangle position of entries (j, col), j <= col."""
    return j * d - j * (j - 1) // 2 + (col - j)


def csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, shape: tuple[int, int]
        ) -> torch.Tensor:
    """A CSR matrix with int32 indices (faster products than int64)."""
    with warnings.catch_warnings():  # "sparse CSR support is in beta": products are all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow.to(torch.int32), col.to(torch.int32), values, shape,
                                       check_invariants=False)


def crow_of(rows: torch.Tensor, num_rows: int) -> torch.Tensor:
    """CSR row pointers of sorted row indices."""
    counts = torch.bincount(rows, minlength=num_rows)
    return torch.cat([counts.new_zeros(1), torch.cumsum(counts, 0)])


def sample_pairs(rows: torch.Tensor, cols: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(first, second) entry indices of every pair j <= l of nonzeros within one sample.

    ``rows``/``cols`` are the nonzeros in row-major order (samples, then features ascending).
    """
    counts = torch.bincount(rows - rows[0])
    starts = torch.cumsum(counts, 0) - counts
    local = rows - rows[0]
    remaining = counts[local] - (torch.arange(rows.numel()) - starts[local])
    first = torch.repeat_interleave(torch.arange(rows.numel()), remaining)
    base = torch.repeat_interleave(torch.cumsum(remaining, 0) - remaining, remaining)
    return first, first + (torch.arange(first.numel()) - base)


@dataclass
class SparseStructure:
    """Everything the sparse backend multiplies, for n clients with d features."""

    index: torch.Tensor  # (n, P) packed support positions, ascending, padded with D
    hessian: torch.Tensor  # CSR (n P, N): Hessian data part = hessian @ curvature
    gradient: torch.Tensor  # CSR (n d, N): gradient data part = gradient @ coefficient
    margins: torch.Tensor  # CSR (N, d): margins = margins @ x


def build_sparse(inputs: list[torch.Tensor]) -> SparseStructure:
    """The structures of the clients' (m_i, d) dense sample matrices (no copy of the data)."""
    num_clients, d = len(inputs), inputs[0].shape[1]
    sizes = torch.tensor([a.shape[0] for a in inputs])
    offsets = torch.cumsum(sizes, 0) - sizes
    nonzeros = [a.nonzero(as_tuple=True) for a in inputs]
    rows = torch.cat([r + int(o) for (r, _), o in zip(nonzeros, offsets)])
    cols = torch.cat([c for _, c in nonzeros])
    vals = torch.cat([a[r, c] for a, (r, c) in zip(inputs, nonzeros)])
    sample_client = torch.repeat_interleave(torch.arange(num_clients), sizes)
    n_samples = int(sizes.sum())
    nnz = torch.bincount(rows, minlength=n_samples)
    total = int((nnz * (nnz + 1) // 2).sum()) + num_clients * d
    hess_col = torch.empty(total, dtype=torch.int32)
    hess_val = torch.empty(total, dtype=vals.dtype)
    bounds = torch.searchsorted(rows, torch.arange(n_samples + 1))
    supports, blocks, at = [], [], 0
    for lo, hi in _chunks(nnz, sample_client, num_clients):
        support, counts, col, val = _chunk(rows, cols, vals, sample_client, int(bounds[lo]),
                                           int(bounds[hi]), int(sample_client[lo]),
                                           int(sample_client[hi - 1]) + 1, d)
        hess_col[at:at + col.numel()], hess_val[at:at + col.numel()] = col, val
        at += col.numel()
        supports += support
        blocks.append(counts)
    width = max(s.numel() for s in supports)
    index = torch.full((num_clients, width), upper_size(d), dtype=torch.int64)
    for i, s in enumerate(supports):
        index[i, :s.numel()] = s
    del supports
    counts = torch.zeros(num_clients * width + 1, dtype=torch.int32)  # nnz < 2^31
    grid, first = counts[1:].view(num_clients, width), 0
    for block in blocks:
        grid[first:first + block.shape[0], :block.shape[1]] = block
        first += block.shape[0]
    del blocks
    h_crow = torch.cumsum(counts, 0, dtype=torch.int32)
    del counts, grid
    g_row = sample_client[rows] * d + cols
    g_order = torch.argsort(g_row * n_samples + rows)
    g_crow = crow_of(g_row[g_order], num_clients * d)
    return SparseStructure(
        index=index, hessian=csr(h_crow, hess_col, hess_val, (num_clients * width, n_samples)),
        gradient=csr(g_crow, rows[g_order], vals[g_order], (num_clients * d, n_samples)),
        margins=csr(crow_of(rows, n_samples), cols, vals, (n_samples, d)))


def _chunk(rows, cols, vals, sample_client, a: int, b: int, c0: int, c1: int, d: int):
    """Hessian structure of clients c0..c1-1, whose nonzeros are the entries a..b-1.

    Returns their supports, (clients, width) row counts, and the sample columns and values of
    the rows sorted by (client, slot, sample). One stable sort of the pairs' keys
    (client, position) does it: pairs come sample by sample, so equal keys stay in sample order.
    Every diagonal position enters the supports as an explicit zero at the client's first
    sample (an l2 term sits there).
    """
    size = upper_size(d)
    clients = torch.arange(c0, c1)
    if b > a:
        first, second = sample_pairs(rows[a:b], cols[a:b])
        first, second = first + a, second + a
    else:
        first = second = torch.zeros(0, dtype=torch.int64)
    starts = torch.searchsorted(sample_client, clients)
    diag = (clients[:, None] * size + packed_position(torch.arange(d), torch.arange(d), d))
    key = torch.cat([diag.reshape(-1),
                     sample_client[rows[first]] * size + packed_position(cols[first],
                                                                         cols[second], d)])
    sample = torch.cat([starts.repeat_interleave(d), rows[first]])
    value = torch.cat([vals.new_zeros(diag.numel()), vals[first] * vals[second]])
    key, order = torch.sort(key, stable=True)
    new = torch.ones_like(key, dtype=torch.bool)
    new[1:] = key[1:] != key[:-1]
    keys = key[new]
    per_client = torch.bincount(keys // size - c0, minlength=c1 - c0)
    slot = torch.arange(keys.numel()) - (torch.cumsum(per_client, 0) - per_client)[
        keys // size - c0]
    width = int(per_client.max())
    counts = torch.zeros((c1 - c0) * width, dtype=torch.int64).index_put_(
        ((keys // size - c0) * width + slot,), torch.bincount(torch.cumsum(new, 0) - 1))
    supports = list(torch.split(keys % size, per_client.tolist()))
    return (supports, counts.reshape(c1 - c0, width), sample[order].to(torch.int32),
            value[order])


def _chunks(nnz: torch.Tensor, sample_client: torch.Tensor, num_clients: int):
    """(first sample, end sample) of client-aligned chunks of about CHUNK_ENTRIES pairs."""
    pairs = torch.zeros(num_clients, dtype=torch.int64).index_add_(
        0, sample_client, nnz * (nnz + 1) // 2)
    ends = torch.cumsum(torch.bincount(sample_client, minlength=num_clients), 0)
    lo, acc = 0, 0
    for i in range(num_clients):
        acc += int(pairs[i])
        if acc >= CHUNK_ENTRIES or i == num_clients - 1:
            yield lo, int(ends[i])
            lo, acc = int(ends[i]), 0


def row_blocks(matrix: torch.Tensor, block: int, clients: torch.Tensor) -> torch.Tensor:
    """The CSR matrix of the row blocks ``[i block, (i+1) block)`` of the given clients."""
    crow = matrix.crow_indices().cpu().to(torch.int64)
    starts, ends = crow[clients * block], crow[(clients + 1) * block]
    pieces = [crow[int(i) * block:(int(i) + 1) * block] - s for i, s in zip(clients, starts)]
    offsets = torch.cumsum(ends - starts, 0) - (ends - starts)
    new_crow = torch.cat([p + o for p, o in zip(pieces, offsets)] + [(ends - starts).sum()[None]])
    take = torch.cat([torch.arange(int(s), int(e)) for s, e in zip(starts, ends)]).to(
        matrix.device)
    return csr(new_crow.to(matrix.device), matrix.col_indices()[take], matrix.values()[take],
               (clients.numel() * block, matrix.shape[1]))
