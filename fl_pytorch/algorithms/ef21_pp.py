"""EF21-PP: EF21 with partial participation.

Fatkhullin, Sokolov, Gorbunov, Li and Richtarik, 2021, "EF21 with Bells & Whistles: Practical
Algorithmic Extensions of Modern Error Feedback", arXiv:2110.03294, Algorithm EF21-PP.

EF21's client steps, unchanged: only the sampled clients update their g_i. The server keeps
``g = sum_i w_i g_i`` over ALL clients:

* SERVER_GRADIENT: ``G = g + sum_{i in S} w_i (D_i - g_i^0)`` with g_i^0 the client's g_i at the
  start of the round (``-li 1``: ``g + sum_{i in S} w_i c_i``, the paper's line; 1/n sum over S for
  uniform weights, not the mean over S);
* SERVER_GLOBAL_STATE: ``g + sum_{i in S} w_i (g_i^K - g_i^0)``, so g stays the weighted sum of
  all g_i.

The paper samples each client independently with probability p_i (``--client-sampling-type
poisson``); the analysis uses only these marginal probabilities, so uniform sampling (p = k/n)
is accepted as well.

Theoretical step size (paper's theorem for EF21-PP with p_i = p): for any s, rho > 0 with
``theta_p = p theta - rho (1 - p) > 0``, where ``theta = 1 - (1 + s)(1 - alpha)``,
``beta = (1 + 1/s)(1 - alpha)`` and ``B = (beta p + (1 + 1/rho)(1 - p)) L~^2``:
non-convex ``1 / (L + sqrt(B / theta_p))``; PL (``th_stepsize_cvx``)
``min(1 / (L + sqrt(2 B / theta_p)), theta_p / (2 mu))``, times ``stepsize_multiplier``. The free
parameters s and rho are chosen on a log grid to maximize the step (with p = 1 this recovers
EF21's closed form).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..core.algorithm import State, Tensor, Work, batchable, direction_sum, zero_server_state
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting, StepSizes
from .ef21 import EF21
from .registry import register_algorithm

_S = np.logspace(-4, 4, 401)[:, None]
_RHO = np.logspace(-6, 3, 451)[None, :]


@batchable
def send_corrections(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                     ) -> tuple[State, State]:
    """LOCAL_STATE: D_i - g_i^0 and the round's change of g_i; store g_i."""
    g0 = ctx.state["g_i"]
    return ({"e": direction_sum(ctx, x, y, work) - g0, "c": work["g_i"] - g0},
            {"g_i": work["g_i"]})


def add_corrections(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: ``g + sum_S w_i (D_i - g_i^0)``."""
    return h["g"] + ctx.participation_weight * agg["e"]


def track_sum(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: ``g + sum_S w_i (g_i^K - g_i^0)``."""
    return {"g": h["g"] + ctx.participation_weight * agg["c"]}


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """The EF21-PP theorems' step size maximized over s and rho (module docstring)."""
    p, a = setting.participation, setting.alpha
    theta = 1.0 - (1.0 + _S) * (1.0 - a)
    beta = (1.0 + 1.0 / _S) * (1.0 - a)
    theta_p = p * theta - _RHO * (1.0 - p)
    b = (beta * p + (1.0 + 1.0 / _RHO) * (1.0 - p)) * setting.L_tilde ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = 1.0 / (setting.L + np.sqrt((2.0 if convex else 1.0) * b / theta_p))
        if convex:
            gamma = np.minimum(gamma, theta_p / (2.0 * setting.mu))
    best = float(np.max(np.where(theta_p > 0, gamma, 0.0)))
    return StepSizes(best * options["stepsize_multiplier"])


EF21_PP = register_algorithm(dataclasses.replace(
    EF21, name="ef21-pp", summary="EF21 with partial participation (Poisson client sampling)",
    paper="Fatkhullin, Sokolov, Gorbunov, Li, Richtarik, 2021",
    init_server_state=zero_server_state("g"), local_state=send_corrections,
    server_gradient=add_corrections, server_global_state=track_sum, step_size=step_size,
))
