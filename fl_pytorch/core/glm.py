"""The logistic loss of a bias-free linear model with one output, in closed form.

For dense or sparse samples A (the products are in ``data/sparse.py``), labels t in {-1, +1} and
``f(x) = mean_j log(1 + exp(-t_j a_j^T x)) + reg(x)``, the gradient is ``A^T s / n + grad reg``
with ``s_j = -t_j sigmoid(-t_j a_j^T x)``, the Hessian
``1/n A^T diag(sigmoid(z) sigmoid(-z)) A + l2 I`` (``l2`` the regularizer's curvature). No autograd
and no module call: a local step is two products. The batched oracles of the vectorized executor
use the same formulas; tested against autograd (``tests/unit/test_fednl_oracles.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.sparse import SparseRows, dense_rows, matvec, rmatvec
from .oracle import ModuleOracle


def regularizer_hessian(oracle: ModuleOracle, d: int, like: torch.Tensor) -> torch.Tensor:
    """``l2 I``: the Hessian of an l2 regularizer (ValueError for one without a known Hessian)."""
    l2 = oracle.reg.l2_alpha(oracle.reg_alpha)
    if l2 != l2:
        raise ValueError("the regularizer has no Hessian oracle")
    return l2 * torch.eye(d, dtype=like.dtype, device=like.device)


def logistic_slopes(z: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``d/dz log(1 + exp(-t z)) = -t sigmoid(-t z)`` per sample."""
    return -targets * torch.sigmoid(-targets * z)


class LogisticLinearOracle(ModuleOracle):
    """Closed form of the logistic loss of a bias-free linear model (dense or sparse samples)."""

    sparse_inputs = True
    glm_loss = "logistic"

    def predict(self, x: torch.Tensor, inputs: torch.Tensor | SparseRows,
                buffers: torch.Tensor | None = None, train: bool = False) -> torch.Tensor:
        return matvec(inputs, x)

    def value(self, x: torch.Tensor, inputs: torch.Tensor | SparseRows, targets: torch.Tensor,
              buffers: torch.Tensor | None = None) -> torch.Tensor:
        z = matvec(inputs, x)
        return F.softplus(-targets.reshape(-1) * z).mean() + self.reg.value(x, self.reg_alpha)

    def value_and_grad(self, x: torch.Tensor, inputs: torch.Tensor | SparseRows,
                       targets: torch.Tensor, buffers: torch.Tensor | None = None,
                       train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        t, z = targets.reshape(-1), matvec(inputs, x)
        loss = F.softplus(-t * z).mean() + self.reg.value(x, self.reg_alpha)
        return loss, self._with_reg(x, rmatvec(inputs, logistic_slopes(z, t)) * (1.0 / t.numel()))

    def grad(self, x: torch.Tensor, inputs: torch.Tensor | SparseRows, targets: torch.Tensor,
             buffers: torch.Tensor | None = None) -> torch.Tensor:
        t = targets.reshape(-1)
        g = rmatvec(inputs, logistic_slopes(matvec(inputs, x), t)) * (1.0 / t.numel())
        return self._with_reg(x, g)

    def _with_reg(self, x: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        return grad if self.reg.is_zero else grad + self.reg.grad(x, self.reg_alpha)

    def hessian(self, x: torch.Tensor, inputs: torch.Tensor | SparseRows, targets: torch.Tensor
                ) -> torch.Tensor:
        """The (d, d) Hessian of the local objective at ``x`` on ``inputs``."""
        a = dense_rows(inputs)
        z = a @ x
        curvature = torch.sigmoid(z) * torch.sigmoid(-z) / z.numel()
        return a.T @ (a * curvature[:, None]) + regularizer_hessian(self, x.numel(), x)
