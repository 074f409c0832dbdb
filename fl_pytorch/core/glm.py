"""The logistic loss of a bias-free linear model with one output, in closed form.

For dense or sparse samples A (the products are in ``data/sparse.py``) and
``f(x) = mean_j log(1 + exp(-t_j a_j^T x))``, the gradient is ``A^T s / n`` with
``s_j = -t_j sigmoid(-t_j a_j^T x)``. No autograd and no module call: a local step is two
products. The batched oracles of the vectorized executor use the same formulas.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.sparse import SparseRows, matvec, rmatvec
from .oracle import ModuleOracle


def logistic_slopes(z: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``d/dz log(1 + exp(-t z)) = -t sigmoid(-t z)`` per sample."""
    return -targets * torch.sigmoid(-targets * z)


class LogisticLinearOracle(ModuleOracle):
    """Closed form of the logistic loss of a bias-free linear model (dense or sparse samples)."""

    sparse_inputs = True

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
