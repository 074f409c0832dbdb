"""Loss/gradient oracles on flat parameter vectors.

The engine and the algorithms see the model only as a flat 1-D tensor ``x``. An oracle returns
``(loss, grad)`` of ``loss(model_x(X), y) + reg(x)`` on a batch. :class:`ModuleOracle` works for any
``nn.Module`` through ``torch.func.functional_call`` (the parameters are views of ``x``, so the
gradient comes back flat). :class:`LinearMSEOracle` is the closed-form fast path for the bias-free
linear model with MSE (the quadratic problem); a test checks both agree.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call

from .losses import Regularizer


class ParamLayout:
    """Names, shapes and offsets of a module's parameters inside the flat vector."""

    def __init__(self, module: nn.Module):
        self.names, self.shapes, self.offsets = [], [], [0]
        for name, p in module.named_parameters():
            self.names.append(name)
            self.shapes.append(p.shape)
            self.offsets.append(self.offsets[-1] + p.numel())

    @property
    def dim(self) -> int:
        return self.offsets[-1]

    def flatten(self, module: nn.Module) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in module.parameters()])

    def unflatten(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {n: x[a:b].view(s) for n, s, a, b in
                zip(self.names, self.shapes, self.offsets, self.offsets[1:])}


class ModuleOracle:
    """Autograd oracle for any module and loss."""

    def __init__(self, module: nn.Module, loss: Callable, reg: Regularizer, reg_alpha: float):
        self.module, self.loss, self.reg, self.reg_alpha = module, loss, reg, reg_alpha
        self.layout = ParamLayout(module)

    def predict(self, x: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        return functional_call(self.module, self.layout.unflatten(x), (inputs,))

    def value(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return self.loss(self.predict(x, inputs), targets) + self.reg.value(x, self.reg_alpha)

    def value_and_grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            xr = x.detach().requires_grad_(True)
            loss = self.loss(self.predict(xr, inputs), targets)
            (grad,) = torch.autograd.grad(loss, xr)
        return (loss.detach() + self.reg.value(x, self.reg_alpha),
                grad + self.reg.grad(x, self.reg_alpha))

    def grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The gradient alone (what local steps need)."""
        return self.value_and_grad(x, inputs, targets)[1]


class LinearMSEOracle(ModuleOracle):
    """Closed form for ``mean((X w - y)^2)``: gradient ``2/B X^T (X w - y)``."""

    def predict(self, x: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.reshape(inputs.shape[0], -1) @ x

    def value(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        r = self.predict(x, inputs) - targets
        return r.dot(r) / r.numel() + self.reg.value(x, self.reg_alpha)

    def value_and_grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        a = inputs.reshape(inputs.shape[0], -1)
        r = a @ x - targets
        grad = a.T @ r * (2.0 / r.numel())
        return (r.dot(r) / r.numel() + self.reg.value(x, self.reg_alpha),
                grad + self.reg.grad(x, self.reg_alpha))

    def grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        a = inputs.reshape(inputs.shape[0], -1)
        grad = a.T @ (a @ x - targets) * (2.0 / targets.numel())
        return grad if self.reg.is_zero else grad + self.reg.grad(x, self.reg_alpha)


def build_oracle(module: nn.Module, loss_name: str, loss: Callable, reg: Regularizer,
                 reg_alpha: float, output_dim: int) -> ModuleOracle:
    """The fastest exact oracle for this model/loss pair."""
    linear_only = [type(m) for m in module.modules() if not isinstance(m, nn.Sequential)]
    if loss_name == "mse" and output_dim == 1 and linear_only == [nn.Flatten, nn.Linear] \
            and all(m.bias is None for m in module.modules() if isinstance(m, nn.Linear)):
        return LinearMSEOracle(module, loss, reg, reg_alpha)
    return ModuleOracle(module, loss, reg, reg_alpha)
