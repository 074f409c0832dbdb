"""Exact value, gradient and Hessian oracles of many clients at once (no autograd, no loop).

For a generalized linear model (``z = a^T x`` per sample: logistic regression with labels +-1, or
least squares), client i's local objective ``f_i(x) = 1/m_i sum_s loss(z_s) + reg(x)`` has
``grad f_i = sum_s r_s a_s + grad reg`` and ``hess f_i = sum_s c_s a_s a_s^T + l2 I`` with
per-sample coefficients ``r_s = loss'(z_s)/m_i`` and ``c_s = loss''(z_s)/m_i``. One call
evaluates them for a set of clients with one batched product each:

* dense backend: the clients' samples as a (n, m, d) tensor (zero-padded); margins, gradients
  and Hessians are batched matmuls (``torch.bmm``); Hessians come back as all D = d(d+1)/2
  upper-triangle entries;
* sparse backend (``core/client_batch_sparse.py``): one sparse-matrix product for all clients'
  Hessians, restricted to each client's support (the positions its data can make nonzero).

The backend is chosen by the cost of the two: the number of sample pairs of nonzeros against
``n m d^2`` multiply-adds. Results equal the per-client oracles (``core/glm.py``,
``LinearMSEOracle``) up to floating-point summation order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..compressors.matrix.packed import diagonal_positions, pack, upper_size
from ..data.sparse import dense_rows
from .client_batch_sparse import build_sparse, row_blocks

#: the sparse backend is used when its pairs number less than n m d^2 / this
DENSE_PER_PAIR = 40.0


@dataclass
class Evaluation:
    """Oracles of a set of clients at one point: rows in the order of the clients asked for."""

    values: torch.Tensor  # (s,) f_i(x)
    grads: torch.Tensor  # (s, d)
    hessians: torch.Tensor  # (s, P) upper-triangle entries on the clients' supports
    index: torch.Tensor  # (s, P) packed positions of ``hessians`` (D = padding)
    diagonal: torch.Tensor  # (s, d) slots of the diagonal entries


def supports_batching(oracle) -> bool:
    """True for the oracles a ClientBatch can batch (closed-form GLMs with an l2 Hessian)."""
    l2 = oracle.reg.l2_alpha(oracle.reg_alpha) if hasattr(oracle, "reg") else float("nan")
    return getattr(oracle, "glm_loss", None) in ("logistic", "mse") and l2 == l2


class ClientBatch:
    """Batched oracles of the clients ``client_data`` (a list of (inputs, targets))."""

    def __init__(self, oracle, client_data: list[tuple[torch.Tensor, torch.Tensor]],
                 backend: str | None = None):
        self.oracle, self.loss = oracle, oracle.glm_loss
        self.l2 = float(oracle.reg.l2_alpha(oracle.reg_alpha))
        inputs = [dense_rows(a) for a, _ in client_data]
        self.num_clients, self.d = len(inputs), inputs[0].shape[1]
        self.sizes = torch.tensor([a.shape[0] for a in inputs])
        self.targets = torch.cat([t.reshape(-1) for _, t in client_data])
        self.sample_client = torch.repeat_interleave(torch.arange(self.num_clients), self.sizes)
        self.dtype, self.device = inputs[0].dtype, inputs[0].device
        self.scale = (1.0 / self.sizes.to(self.dtype))[self.sample_client]
        self.backend = backend or self._choose(inputs)
        diagonal = diagonal_positions(self.d).expand(self.num_clients, -1)
        if self.backend == "sparse":
            self.sparse = build_sparse([a.cpu() for a in inputs])
            self.index = self.sparse.index
            self.diagonal = torch.searchsorted(self.index, diagonal.contiguous())
        else:
            self.padded = _pad(inputs, [t.reshape(-1) for _, t in client_data])
            self.index = torch.arange(upper_size(self.d)).expand(self.num_clients, -1)
            self.diagonal = diagonal
        self._subset: tuple[tuple[int, ...], torch.Tensor, torch.Tensor] | None = None
        self._hessians: torch.Tensor | None = None
        if self.backend == "sparse":  # built on the CPU, used where the data lives
            st = self.sparse
            st.hessian, st.gradient, st.margins = (st.hessian.to(self.device),
                                                   st.gradient.to(self.device),
                                                   st.margins.to(self.device))
        self.index, self.diagonal = self.index.to(self.device), self.diagonal.to(self.device)
        self.sample_client = self.sample_client.to(self.device)
        self.scale = self.scale.to(self.device)

    def _choose(self, inputs: list[torch.Tensor]) -> str:
        nnz = torch.cat([(a != 0).sum(1) for a in inputs])
        pairs = float((nnz * (nnz + 1) // 2).sum())
        dense = float(self.num_clients * int(self.sizes.max()) * self.d ** 2)
        return "sparse" if pairs * DENSE_PER_PAIR < dense else "dense"

    def _coefficients(self, z: torch.Tensor, targets: torch.Tensor, scale: torch.Tensor
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-sample (loss, r, c), scaled by 1/m_i."""
        if self.loss == "logistic":
            bz = targets * z
            return (F.softplus(-bz) * scale, -targets * torch.sigmoid(-bz) * scale,
                    torch.sigmoid(z) * torch.sigmoid(-z) * scale)
        residual = z - targets
        return residual * residual * scale, 2.0 * residual * scale, 2.0 * scale

    def evaluate(self, x: torch.Tensor, clients: list[int]) -> Evaluation:
        """Values, gradients and Hessians of ``clients`` (ascending ids) at ``x``.

        For all clients the Hessians of the sparse backend are written into one buffer that the
        next call overwrites (the caller's to change in place until then).
        """
        ids = torch.as_tensor(clients, dtype=torch.int64, device=self.device)
        if self.backend == "sparse":
            values, grads, hess = self._sparse(x, ids)
        else:
            values, grads, hess = self._dense(x, ids)
        reg = self.oracle.reg
        grads += reg.grad(x, self.oracle.reg_alpha)
        every = len(clients) == self.num_clients
        index = self.index if every else self.index[ids]
        diagonal = self.diagonal if every else self.diagonal[ids]
        if self.l2:
            hess.scatter_add_(1, diagonal, torch.full(diagonal.shape, self.l2, dtype=hess.dtype,
                                                      device=hess.device))
        return Evaluation(values + reg.value(x, self.oracle.reg_alpha), grads, hess, index,
                          diagonal)

    def _sparse(self, x: torch.Tensor, ids: torch.Tensor):
        st = self.sparse
        loss, r, c = self._coefficients(st.margins @ x, self.targets, self.scale)
        values = torch.zeros(self.num_clients, dtype=x.dtype, device=x.device).index_add_(
            0, self.sample_client, loss)[ids]
        if ids.numel() == self.num_clients:
            grad_m, hess_m = st.gradient, st.hessian
        else:
            grad_m, hess_m = self._blocks(ids)
        grads = (grad_m @ r).reshape(ids.numel(), self.d)
        c = c if isinstance(c, torch.Tensor) else torch.full_like(r, c)
        if ids.numel() != self.num_clients:
            return values, grads, (hess_m @ c).reshape(ids.numel(), -1)
        if self._hessians is None:  # every round writes the same (n, P) buffer
            self._hessians = torch.empty(hess_m.shape[0], dtype=c.dtype, device=c.device)
        torch.addmv(self._hessians, hess_m, c, beta=0, out=self._hessians)
        return values, grads, self._hessians.view(ids.numel(), -1)

    def _blocks(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key = tuple(ids.tolist())
        if self._subset is None or self._subset[0] != key:
            st = self.sparse
            cpu = ids.cpu()
            self._subset = (key, row_blocks(st.gradient, self.d, cpu),
                            row_blocks(st.hessian, st.index.shape[1], cpu))
        return self._subset[1], self._subset[2]

    def _dense(self, x: torch.Tensor, ids: torch.Tensor):
        a, targets, scale = self.padded
        if ids.numel() != self.num_clients:
            a, targets, scale = a[ids], targets[ids], scale[ids]
        loss, r, c = self._coefficients(a @ x, targets, scale)
        grads = torch.bmm(a.transpose(1, 2), r[:, :, None])[:, :, 0]
        c = c if isinstance(c, torch.Tensor) else torch.full_like(r, c) * (scale > 0)
        hess = pack(torch.bmm(a.transpose(1, 2), a * c[:, :, None]))
        return loss.sum(1), grads, hess


def _pad(inputs: list[torch.Tensor], targets: list[torch.Tensor]
         ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(n, m, d) samples, (n, m) targets and (n, m) 1/m_i weights, zero-padded to m = max m_i."""
    m = max(a.shape[0] for a in inputs)
    a = inputs[0].new_zeros(len(inputs), m, inputs[0].shape[1])
    t = inputs[0].new_zeros(len(inputs), m)
    scale = inputs[0].new_zeros(len(inputs), m)
    for i, (rows, labels) in enumerate(zip(inputs, targets)):
        a[i, :rows.shape[0]] = rows
        t[i, :rows.shape[0]] = labels
        scale[i, :rows.shape[0]] = 1.0 / rows.shape[0]
    return a, t, scale
