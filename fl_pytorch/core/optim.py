"""Client and server optimizers (torch.optim on one flat tensor) and learning-rate schedules."""

from __future__ import annotations

import math

import torch

DEFAULT_MOMENTUM = 0.9  # of the 'momentum' optimizer when its momentum option is 0
#: learning-rate multiplier and round milestones (as fractions of the rounds R, each taken as
#: int(f * R)) of the original tool's MultiStepLR schedules
MULTISTEP = {"cifar_1": (0.1, (0.5, 0.75)), "cifar_2": (0.2, (0.3, 0.6, 0.8))}


def build_optimizer(name: str, param: torch.Tensor, lr: float, momentum: float,
                    weight_decay: float) -> torch.optim.Optimizer:
    """A torch.optim optimizer over the single flat tensor ``param``.

    Hooks put the direction into ``param.grad`` and call ``step()``; nothing is re-derived.
    As in the original tool, ``sgd`` and ``rmsprop`` take the momentum option (0 = none);
    ``momentum`` is SGD with that momentum, 0.9 when the option is 0.
    """
    if name == "momentum":
        momentum = momentum or DEFAULT_MOMENTUM
        name = "sgd"
    if name == "sgd" and weight_decay == 0 and momentum == 0:
        return PlainSGD(param, lr)
    if name == "sgd":
        return torch.optim.SGD([param], lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam([param], lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop([param], lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad([param], lr=lr, weight_decay=weight_decay)
    if name == "yogi":
        return Yogi([param], lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


class Yogi(torch.optim.Optimizer):
    """Yogi, the server optimizer of FedYogi; torch.optim has none.

    Zaheer et al., NeurIPS 2018, "Adaptive Methods for Nonconvex Optimization", Algorithm 2;
    FedYogi: Reddi et al., ICLR 2021, "Adaptive Federated Optimization".
    ``m <- b1 m + (1 - b1) g``; ``v <- v - (1 - b2) sign(v - g^2) g^2``;
    ``x <- x - lr m / (sqrt(v) + eps)``. Unlike Adam's, the second moment moves additively, by at
    most ``(1 - b2) g^2`` per step. As in both papers, no bias correction; defaults are
    FedYogi's (betas 0.9, 0.99; eps 1e-3; v starts at 1e-6).
    """

    def __init__(self, params, lr: float = 1e-2, betas: tuple[float, float] = (0.9, 0.99),
                 eps: float = 1e-3, initial_accumulator: float = 1e-6, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      initial_accumulator=initial_accumulator,
                                      weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None if closure is None else closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p if group["weight_decay"] else p.grad
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.full_like(p, group["initial_accumulator"])
                m, v = state["m"], state["v"]
                g2 = g * g
                m.mul_(b1).add_(g, alpha=1 - b1)
                v.addcmul_(torch.sign(v - g2), g2, value=-(1 - b2))
                p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-group["lr"])
        return loss


class PlainSGD:
    """``param -= lr * param.grad``.

    Exactly torch.optim.SGD without momentum or weight decay (a test checks bit equality), minus
    its per-step bookkeeping, which dominates on small problems where a client step is a few
    microseconds of arithmetic.
    """

    def __init__(self, param: torch.Tensor, lr: float):
        self.param = param
        self.param_groups = [{"params": [param], "lr": lr}]

    def step(self) -> None:
        param = self.param
        if param.requires_grad:  # an autograd leaf: update it outside the graph
            with torch.no_grad():
                param.add_(param.grad, alpha=-self.param_groups[0]["lr"])
        else:  # a plain tensor (the local iterates): no context to enter
            param.add_(param.grad, alpha=-self.param_groups[0]["lr"])

    def step_along(self, param: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        """:meth:`step` with ``g`` as the gradient of ``param`` (the same arithmetic)."""
        if param.requires_grad:
            with torch.no_grad():
                return param.add_(g, alpha=-self.param_groups[0]["lr"])
        return param.add_(g, alpha=-self.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return {"state": {}, "param_groups": [{"lr": self.param_groups[0]["lr"]}]}

    def load_state_dict(self, state: dict) -> None:
        self.param_groups[0]["lr"] = state["param_groups"][0]["lr"]


def scheduled_lr(schedule: str, base: float, round_index: int, total_rounds: int) -> float:
    """Learning rate of ``round_index`` (0-based).

    Static, cosine (to 0 at the end), step (x0.1 from 50% of the rounds, x0.01 from 75%), or the
    original's ``cifar_1``/``cifar_2``: torch's MultiStepLR stepped once per round, i.e. ``base *
    gamma^m`` with m the number of milestones ``int(f * total_rounds) <= round_index``.
    """
    if schedule == "static":
        return base
    if schedule in MULTISTEP:
        gamma, fractions = MULTISTEP[schedule]
        passed = sum(1 for f in fractions if int(f * total_rounds) <= round_index)
        return base * gamma ** passed
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * round_index / total_rounds))
    if schedule == "step":
        frac = round_index / total_rounds
        return base * (0.01 if frac >= 0.75 else 0.1 if frac >= 0.5 else 1.0)
    raise ValueError(f"unknown schedule {schedule!r}")


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
