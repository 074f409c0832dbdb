"""Loss/gradient oracles on flat parameter vectors.

The engine and the algorithms see the model only as a flat 1-D tensor ``x``. An oracle returns
``(loss, grad)`` of ``loss(model_x(X), y) + reg(x)`` on a batch. :class:`ModuleOracle` works for any
``nn.Module``: its parameters are bound once as views of one flat tensor (and their gradients of
another), so a call is a copy of ``x``, a forward and a backward. :class:`LinearMSEOracle` is the
closed-form fast path for the bias-free linear model with MSE (the quadratic problem); a test
checks both agree.

Only trainable parameters are in ``x`` (``--train-last-layer`` freezes the others, which stay
constants of the module). Floating-point buffers (batch-norm running statistics) are a second flat
vector, ``buffers``, that is part of the model state but not of ``x``: a training call
(``train=True``, the default of ``grad``/``value_and_grad``) runs the module in training mode and
updates the ``buffers`` it is given in place; evaluation calls (``value``, ``predict``) run it in
eval mode and read them. The engine keeps the server's buffers, hands every client a copy and
averages the clients' buffers with the same weights as their messages (FedAvg's choice); see
docs/models.md. With ``train_mode=False`` (``--turn-off-batch-normalization-and-dropout``) the
module always runs in eval mode: batch norm uses the fixed initial statistics, dropout is off.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import torch
from torch import nn

from ..data.sparse import dense_rows, matvec, rmatvec
from .losses import Regularizer


class ParamLayout:
    """Names, shapes and offsets of a module's trainable parameters inside the flat vector."""

    def __init__(self, module: nn.Module):
        self.names, self.shapes, self.offsets = [], [], [0]
        for name, p in self._tensors(module):
            self.names.append(name)
            self.shapes.append(p.shape)
            self.offsets.append(self.offsets[-1] + p.numel())

    @staticmethod
    def _tensors(module: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
        return ((n, p) for n, p in module.named_parameters() if p.requires_grad)

    @property
    def dim(self) -> int:
        return self.offsets[-1]

    def flatten(self, module: nn.Module) -> torch.Tensor:
        tensors = [t.detach().reshape(-1) for _, t in self._tensors(module)]
        return torch.cat(tensors) if tensors else torch.zeros(0)

    def unflatten(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {n: x[a:b].view(s) for n, s, a, b in
                zip(self.names, self.shapes, self.offsets, self.offsets[1:])}


class BufferLayout(ParamLayout):
    """The same for the module's floating-point buffers (batch-norm running statistics).

    Integer buffers such as ``num_batches_tracked`` stay in the module.
    """

    @staticmethod
    def _tensors(module: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
        return ((n, b) for n, b in module.named_buffers() if b.is_floating_point())


class ModuleOracle:
    """Autograd oracle for any module and loss.

    The module is bound to three flat tensors once: its trainable parameters are views of
    ``_flat``, their ``.grad`` views of ``_flat_grad`` and its floating buffers views of
    ``_flat_buffers``. A call copies ``x`` (and the buffers) into place, runs the module as it is
    and reads the gradient from ``_flat_grad``: no per-call rebinding and no per-parameter
    gradient gathering. A module therefore serves one thread at a time: other threads use
    ``replicate()``.
    """

    def __init__(self, module: nn.Module, loss: Callable, reg: Regularizer, reg_alpha: float,
                 train_mode: bool = True):
        self.module, self.loss, self.reg, self.reg_alpha = module, loss, reg, reg_alpha
        self.train_mode = train_mode
        self.layout = ParamLayout(module)
        self.buffer_layout = BufferLayout(module)
        self._bind()
        self.buffers0 = self._flat_buffers.clone()

    def _bind(self) -> None:
        """Make the module's parameters, gradients and buffers views of the flat tensors."""
        module = self.module
        self._flat = self.layout.flatten(module).clone()
        self._flat_grad = torch.zeros_like(self._flat)
        self._flat_buffers = self.buffer_layout.flatten(module).to(self._flat).clone()
        grads = self.layout.unflatten(self._flat_grad)
        for name, view in self.layout.unflatten(self._flat).items():
            param = module.get_parameter(name)
            param.data = view
            param.grad = grads[name]
        for name, view in self.buffer_layout.unflatten(self._flat_buffers).items():
            owner, _, attr = name.rpartition(".")
            setattr(module.get_submodule(owner), attr, view)

    def replicate(self, device: torch.device) -> ModuleOracle:
        """An independent copy (own module and flat tensors) on ``device``, for another thread."""
        twin = copy.copy(self)
        twin.module = copy.deepcopy(self.module).to(device)
        twin._bind()
        twin.buffers0 = self.buffers0.to(device)
        return twin

    def load_buffers(self, buffers: torch.Tensor) -> None:
        """Set the module's floating buffers (batch-norm statistics) to ``buffers``."""
        self._flat_buffers.copy_(buffers)

    def predict(self, x: torch.Tensor, inputs: torch.Tensor,
                buffers: torch.Tensor | None = None, train: bool = False) -> torch.Tensor:
        """Model outputs at ``x``.

        ``train`` runs training mode and then writes the updated batch-norm statistics back into
        ``buffers`` (None: the initial ones, which stay unchanged).
        """
        train = train and self.train_mode
        if self.module.training != train:
            self.module.train(train)
        self._flat.copy_(x)
        if self.buffer_layout.dim:
            self._flat_buffers.copy_(self.buffers0 if buffers is None else buffers)
        out = self.module(inputs)
        if train and buffers is not None and self.buffer_layout.dim:
            buffers.copy_(self._flat_buffers)
        return out

    def value(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
              buffers: torch.Tensor | None = None) -> torch.Tensor:
        """Loss plus regularizer in eval mode (evaluation metrics)."""
        with torch.no_grad():
            return self.loss(self.predict(x, inputs, buffers), targets) + \
                self.reg.value(x, self.reg_alpha)

    def value_and_grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
                       buffers: torch.Tensor | None = None, train: bool = True
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss and gradient (plus regularizer) at ``x``; training mode unless ``train=False``."""
        loss, grad = self._data_loss_and_grad(x, inputs, targets, buffers, train)
        return loss + self.reg.value(x, self.reg_alpha), grad

    def grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
             buffers: torch.Tensor | None = None) -> torch.Tensor:
        """The gradient alone (what local steps need), in training mode."""
        return self._data_loss_and_grad(x, inputs, targets, buffers, True)[1]

    def _data_loss_and_grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
                            buffers: torch.Tensor | None, train: bool
                            ) -> tuple[torch.Tensor, torch.Tensor]:
        """The data loss (no regularizer) and the full gradient (with it)."""
        with torch.enable_grad():
            self._flat_grad.zero_()
            loss = self.loss(self.predict(x, inputs, buffers, train), targets)
            loss.backward()
        grad = self._flat_grad.clone()
        if not self.reg.is_zero:
            grad += self.reg.grad(x, self.reg_alpha)
        return loss.detach(), grad


class LinearMSEOracle(ModuleOracle):
    """Closed form for ``mean((A w - y)^2)``: gradient ``2/B A^T (A w - y)`` (no buffers).

    A holds dense or sparse samples (``data/sparse.py``).
    """

    sparse_inputs = True

    glm_loss = "mse"

    def predict(self, x: torch.Tensor, inputs: torch.Tensor,
                buffers: torch.Tensor | None = None, train: bool = False) -> torch.Tensor:
        return matvec(inputs, x)

    def value(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
              buffers: torch.Tensor | None = None) -> torch.Tensor:
        r = self.predict(x, inputs) - targets
        return r.dot(r) / r.numel() + self.reg.value(x, self.reg_alpha)

    def value_and_grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
                       buffers: torch.Tensor | None = None, train: bool = True
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        r = matvec(inputs, x) - targets
        grad = rmatvec(inputs, r) * (2.0 / r.numel())
        return (r.dot(r) / r.numel() + self.reg.value(x, self.reg_alpha),
                grad + self.reg.grad(x, self.reg_alpha))

    def grad(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor,
             buffers: torch.Tensor | None = None) -> torch.Tensor:
        if type(inputs) is torch.Tensor and inputs.dim() == 2:  # the usual case, inlined
            grad = inputs.T @ (inputs @ x - targets) * (2.0 / targets.numel())
        else:
            grad = rmatvec(inputs, matvec(inputs, x) - targets) * (2.0 / targets.numel())
        return grad if self.reg.is_zero else grad + self.reg.grad(x, self.reg_alpha)

    def hessian(self, x: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor
                ) -> torch.Tensor:
        """The (d, d) Hessian ``2/B A^T A + l2 I`` (second-order methods, e.g. FedNL)."""
        from .glm import regularizer_hessian
        a = dense_rows(inputs)
        return a.T @ a * (2.0 / targets.numel()) + regularizer_hessian(self, x.numel(), x)


def build_oracle(module: nn.Module, loss_name: str, loss: Callable, reg: Regularizer,
                 reg_alpha: float, output_dim: int, train_mode: bool = True) -> ModuleOracle:
    """The fastest exact oracle for this model/loss pair (closed forms for linear models)."""
    if is_linear(module, output_dim) and loss_name == "mse":
        return LinearMSEOracle(module, loss, reg, reg_alpha, train_mode)
    if is_linear(module, output_dim) and loss_name == "logistic":
        from .glm import LogisticLinearOracle
        return LogisticLinearOracle(module, loss, reg, reg_alpha, train_mode)
    return ModuleOracle(module, loss, reg, reg_alpha, train_mode)


def is_linear(module: nn.Module, output_dim: int) -> bool:
    """A bias-free linear map of the flattened input to one output, all of it trained."""
    layers = [type(m) for m in module.modules() if not isinstance(m, nn.Sequential)]
    return output_dim == 1 and layers == [nn.Flatten, nn.Linear] and all(
        m.bias is None and m.weight.requires_grad
        for m in module.modules() if isinstance(m, nn.Linear))
