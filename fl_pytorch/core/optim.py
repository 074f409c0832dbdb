"""Client and server optimizers (torch.optim on one flat tensor) and learning-rate schedules."""

from __future__ import annotations

import math

import torch


def build_optimizer(name: str, param: torch.Tensor, lr: float, momentum: float,
                    weight_decay: float) -> torch.optim.Optimizer:
    """A torch.optim optimizer over the single flat tensor ``param``.

    Hooks put the direction into ``param.grad`` and call ``step()``; nothing is re-derived.
    """
    if name == "sgd" and weight_decay == 0:
        return PlainSGD(param, lr)
    if name == "sgd":
        return torch.optim.SGD([param], lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return torch.optim.SGD([param], lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam([param], lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop([param], lr=lr, weight_decay=weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad([param], lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}")


class PlainSGD:
    """``param -= lr * param.grad``: exactly torch.optim.SGD without momentum or weight decay
    (a test checks bit equality), minus its per-step bookkeeping, which dominates on small
    problems where a client step is a few microseconds of arithmetic."""

    def __init__(self, param: torch.Tensor, lr: float):
        self.param = param
        self.param_groups = [{"params": [param], "lr": lr}]

    @torch.no_grad()
    def step(self) -> None:
        self.param.add_(self.param.grad, alpha=-self.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return {"state": {}, "param_groups": [{"lr": self.param_groups[0]["lr"]}]}

    def load_state_dict(self, state: dict) -> None:
        self.param_groups[0]["lr"] = state["param_groups"][0]["lr"]


def scheduled_lr(schedule: str, base: float, round_index: int, total_rounds: int) -> float:
    """Learning rate of ``round_index`` (0-based): static, cosine (to 0 at the end), or step
    (x0.1 from 50% of the rounds, x0.01 from 75%)."""
    if schedule == "static":
        return base
    if schedule == "cosine":
        return base * 0.5 * (1.0 + math.cos(math.pi * round_index / total_rounds))
    if schedule == "step":
        frac = round_index / total_rounds
        return base * (0.01 if frac >= 0.75 else 0.1 if frac >= 0.5 else 1.0)
    raise ValueError(f"unknown schedule {schedule!r}")


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr
