"""Closed-form oracle of logistic regression: value, gradient and Hessian without autograd.

For the bias-free linear model ``z = A x`` and labels b in {-1, +1},
``f(x) = 1/B sum_j log(1 + exp(-b_j z_j)) + reg(x)``,
``grad f = -1/B A^T (b * sigmoid(-b z)) + grad reg``,
``hess f = 1/B A^T diag(sigmoid(z) sigmoid(-z)) A + l2 I`` (``l2`` the regularizer's curvature).
Tested against autograd (``tests/unit/test_fednl_oracles.py``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .oracle import ModuleOracle


def regularizer_hessian(oracle: ModuleOracle, d: int, like: torch.Tensor) -> torch.Tensor:
    """``l2 I``: the Hessian of an l2 regularizer (ValueError for one without a known Hessian)."""
    l2 = oracle.reg.l2_alpha(oracle.reg_alpha)
    if l2 != l2:
        raise ValueError("the regularizer has no Hessian oracle")
    return l2 * torch.eye(d, dtype=like.dtype, device=like.device)


class LogisticOracle(ModuleOracle):
    """Logistic loss of one logit per sample, in closed form (no buffers)."""

    glm_loss = "logistic"

    def predict(self, x: torch.Tensor, inputs: torch.Tensor,
                buffers: torch.Tensor | None = None, train: bool = False) -> torch.Tensor:
        return inputs.reshape(inputs.shape[0], -1) @ x

    def value(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
              buffers: torch.Tensor | None = None) -> torch.Tensor:
        z = self.predict(x, inputs)
        return F.softplus(-targets.reshape(-1) * z).mean() + self.reg.value(x, self.reg_alpha)

    def value_and_grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
                       buffers: torch.Tensor | None = None, train: bool = True
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        a = inputs.reshape(inputs.shape[0], -1)
        b = targets.reshape(-1)
        bz = b * (a @ x)
        grad = a.T @ (-b * torch.sigmoid(-bz)) / b.numel()
        return (F.softplus(-bz).mean() + self.reg.value(x, self.reg_alpha),
                grad + self.reg.grad(x, self.reg_alpha))

    def grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
             buffers: torch.Tensor | None = None) -> torch.Tensor:
        return self.value_and_grad(x, inputs, targets)[1]

    def hessian(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
                ) -> torch.Tensor:
        """The (d, d) Hessian of the local objective at ``x`` on ``inputs``."""
        a = inputs.reshape(inputs.shape[0], -1)
        z = a @ x
        curvature = torch.sigmoid(z) * torch.sigmoid(-z) / z.numel()
        return a.T @ (a * curvature[:, None]) + regularizer_hessian(self, x.numel(), x)
