"""Batched gradient oracles: the gradients of many clients, each at its own iterate, at once.

``grad(y, step)`` takes the ``[clients, d]`` iterates and one step's samples of those clients
(``vectorized/rows.py``) and returns the ``[clients, d]`` gradients that the per-client oracle
(``core/oracle.py``) returns client by client, up to the order of floating-point sums.

- :class:`LinearBatchedOracle`, for the closed-form oracles of bias-free linear models (the
  quadratic problem's MSE, logistic regression; dense or sparse data): two batched matrix
  products (``bmm``) per call on dense samples, two segment sums (``index_add_``) on sparse ones;
  no autograd.
- :class:`FunctionalBatchedOracle`, for other modules: ``torch.func.vmap`` over the clients of
  ``grad`` of the loss of ``functional_call`` (the module's parameters replaced by a row of
  ``y``). Clients whose minibatches differ in size go in separate calls.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..core.glm import LogisticLinearOracle, logistic_slopes
from ..core.oracle import LinearMSEOracle, ModuleOracle
from ..utils.lists import int64_tensor
from .rows import StepRows
from .sparse_rows import SparseStep

#: layers whose training-mode forward the batched oracle cannot reproduce client by client
_STATEFUL = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd)
#: layers that torch.func.vmap runs one client after the other (no batching rule)
_UNBATCHED = (nn.RNNBase,)


class LinearBatchedOracle:
    """Closed-form gradients of a bias-free linear model (MSE or logistic loss)."""

    closed_form = True

    def __init__(self, oracle: ModuleOracle):
        self.logistic = isinstance(oracle, LogisticLinearOracle)
        self.reg, self.reg_alpha = oracle.reg, oracle.reg_alpha

    def grad(self, y: torch.Tensor, step: StepRows) -> torch.Tensor:
        if isinstance(step.inputs, SparseStep):
            g = self._sparse(y, step.inputs, step.targets)
        else:
            g = self._dense(y, step.inputs, step.targets)
        g = g * step.scale(1.0 if self.logistic else 2.0, y.dtype, y.device)
        return g if self.reg.is_zero else g + self.reg.grad(y, self.reg_alpha)

    def _slopes(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The derivative of the loss in z per sample, before division by the sample count."""
        return logistic_slopes(z, t) if self.logistic else z - t

    def _dense(self, y: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
               ) -> torch.Tensor:
        a = inputs.reshape(inputs.shape[0], inputs.shape[1], -1)
        z = torch.bmm(a, y.unsqueeze(2)).squeeze(2)
        s = self._slopes(z, targets.reshape(z.shape))
        return torch.bmm(a.transpose(1, 2), s.unsqueeze(2)).squeeze(2)

    def _sparse(self, y: torch.Tensor, step: SparseStep, targets: torch.Tensor
                ) -> torch.Tensor:
        d = y.shape[1]
        z = y.new_zeros(step.rows).index_add_(0, step.nnz_row,
                                              step.values * y[step.nnz_owner, step.col])
        s = self._slopes(z, targets.reshape(-1))
        g = y.new_zeros(step.clients * d).index_add_(0, step.nnz_owner * d + step.col,
                                                     step.values * s[step.nnz_row])
        return g.view(step.clients, d)


class FunctionalBatchedOracle:
    """``torch.func.vmap`` over clients of the gradient of ``loss(module_x(inputs), targets)``."""

    closed_form = False

    def __init__(self, oracle: ModuleOracle):
        from torch.func import functional_call, grad, vmap
        self.module, self.train_mode = oracle.module, oracle.train_mode
        self.reg, self.reg_alpha = oracle.reg, oracle.reg_alpha
        layout, loss, module = oracle.layout, oracle.loss, oracle.module

        def loss_at(x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
                    ) -> torch.Tensor:
            return loss(functional_call(module, layout.unflatten(x), (inputs,)), targets)
        self._grads = vmap(grad(loss_at))

    def grad(self, y: torch.Tensor, step: StepRows) -> torch.Tensor:
        if self.module.training != self.train_mode:
            self.module.train(self.train_mode)
        with torch.enable_grad():
            if step.uniform:
                g = self._grads(y, step.inputs, step.targets)
            else:
                g = self._by_size(y, step)
        return g if self.reg.is_zero else g + self.reg.grad(y, self.reg_alpha)

    def _by_size(self, y: torch.Tensor, step: StepRows) -> torch.Tensor:
        """One vmap call per distinct minibatch size (the first ``n`` samples are real)."""
        g = torch.empty_like(y)
        counts = step.counts.tolist()
        for n in sorted(set(counts)):
            rows = int64_tensor([j for j, c in enumerate(counts) if c == n], y.device)
            g[rows] = self._grads(y[rows], step.inputs[rows, :n], step.targets[rows, :n])
        return g


def is_closed_form(oracle: ModuleOracle) -> bool:
    """Whether ``oracle`` is a closed form of a linear model (batched without autograd)."""
    return isinstance(oracle, (LinearMSEOracle, LogisticLinearOracle))


def obstacle(oracle: ModuleOracle) -> str | None:
    """Why the clients of a model cannot be batched (the layer), or None."""
    if is_closed_form(oracle):
        return None
    for name, layer in oracle.module.named_modules():
        kind = type(layer).__name__
        if isinstance(layer, _STATEFUL) and oracle.train_mode and (
                not isinstance(layer, nn.modules.dropout._DropoutNd) or layer.p > 0):
            what = "batch-norm statistics are updated client by client" \
                if isinstance(layer, nn.modules.batchnorm._BatchNorm) else \
                "its random masks come from the global random stream, not the clients'"
            return f"layer {name} ({kind}): {what} (--turn-off-batch-normalization-and-dropout " \
                   "runs it in eval mode)"
        if isinstance(layer, _UNBATCHED):
            return f"layer {name} ({kind}): torch.func.vmap has no batching rule for it"
    return None


def batched_oracle(oracle: ModuleOracle) -> Any:
    """The batched form of ``oracle`` (call only when :func:`obstacle` is None)."""
    if is_closed_form(oracle):
        return LinearBatchedOracle(oracle)
    return FunctionalBatchedOracle(oracle)
