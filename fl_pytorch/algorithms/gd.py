"""Gradient descent, federated (the first-order baseline of the FedNL experiments).

Every client sends its exact local gradient (uncompressed); SERVER_GRADIENT is their weighted
mean, SERVER_OPT ``x - lr G``. Full participation. ``th_stepsize_cvx`` gives ``2 / (L + mu)``
(the classical step for an L-smooth, mu-strongly convex f, uFedNL's choice) and
``th_stepsize_noncvx`` ``1 / L``. Metric ``grad_norm``: ``||grad f||`` at the round's model.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core.algorithm import Algorithm, State, Work
from ..core.batchable import batchable
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm
from .second_order import resolve


@batchable
def send_gradient(ctx: ClientContext, x: torch.Tensor, y: torch.Tensor, work: Work
                  ) -> tuple[State, State]:
    """LOCAL_STATE: the exact local gradient."""
    return {"g": ctx.send(ctx.full_grad(x))}, {}


def mean_gradient(agg: State, h: State, ctx: ServerContext) -> torch.Tensor:
    """SERVER_GRADIENT: the mean gradient."""
    ctx.metrics["grad_norm"] = float(agg["g"].norm())
    return agg["g"]


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """1/L, gradient descent's step."""
    if convex:
        return StepSizes(2.0 / (setting.L + setting.mu))
    return StepSizes(1.0 / setting.L)


GD = register_algorithm(Algorithm(
    name="gd", summary="gradient descent on exact gradients (first-order baseline)",
    paper="baseline of FedNL (Safaryan et al., ICML 2022)", local_steps=False,
    local_state=send_gradient, server_gradient=mean_gradient, compressor_kind="none",
    full_participation=True, step_size=step_size, resolve_options=resolve,
    extra={"metrics": ("grad_norm",)},
))
