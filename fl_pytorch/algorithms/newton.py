"""Newton's method, federated (the second-order baseline): exact Hessians every round.

Every client sends its gradient and its Hessian (the D = d(d+1)/2 upper-triangle entries,
uncompressed); SERVER_GRADIENT solves ``(sum w_i hess f_i) G = sum w_i grad f_i``; SERVER_OPT
``x - lr G`` (``--global-lr 1``: Newton's step). Full participation. Metric ``grad_norm``:
``||grad f||`` at the round's model. It is what FedNL with the
identity compressor, alpha = 1 and option 1 computes, at D values per client per round.
"""

from __future__ import annotations

import torch

from ..core.algorithm import Algorithm, State, Work
from ..core.context import ClientContext, ServerContext
from .fednl import local_hessian
from .fednl_batched import batched_runner
from .registry import register_algorithm
from .second_order import check_hessian_oracle, newton_direction, resolve


def send_exact(ctx: ClientContext, x: torch.Tensor, y: torch.Tensor, work: Work
               ) -> tuple[State, State]:
    """LOCAL_STATE: the exact local gradient and Hessian."""
    return {"g": ctx.send(ctx.full_grad(x)), "S": ctx.send(local_hessian(ctx, x))}, {}


def newton_solve(agg: State, h: State, ctx: ServerContext) -> torch.Tensor:
    """SERVER_GRADIENT: the Newton direction of the mean gradient and Hessian."""
    ctx.metrics["grad_norm"] = float(agg["g"].norm())
    return newton_direction(agg["S"], agg["g"])


NEWTON = register_algorithm(Algorithm(
    name="newton", summary="Newton's method: exact gradients and Hessians every round",
    paper="baseline of FedNL (Safaryan et al., ICML 2022)", local_steps=False,
    local_state=send_exact, server_gradient=newton_solve, compressor_kind="none",
    full_participation=True, resolve_options=resolve,
    extra={"check_setup": check_hessian_oracle, "batched": batched_runner("newton"),
           "metrics": ("grad_norm",)},
))
