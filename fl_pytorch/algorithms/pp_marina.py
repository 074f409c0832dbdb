"""PP-MARINA: MARINA with partial participation.

Gorbunov, Burlachenko, Li and Richtarik, ICML 2021, "MARINA: Faster Non-Convex Distributed
Learning with Compression", arXiv:2102.07845, Algorithm 4.

MARINA's hooks with one change in CLIENT_STATE (lines 3-5): on c_k = 1 every client takes part
(``ctx.participants`` becomes all clients), else the sampled r clients do, and x_prev is
broadcast to them (sampled clients may not have seen it; its bits are counted). LOCAL_GRADIENT
(lines 6-8): ``grad f_i(y)`` or ``g + C(grad f_i(y) - grad f_i(x_prev))`` (both gradients on the
same minibatch); SERVER_GRADIENT (line 9): ``mean D_i`` (with ``-li 1``: mean, or ``g + mean``).

``p`` defaults to ``(r/n) / (1 + omega)`` with r the expected clients per round (the paper's
choice: a synchronization costs n/r times a compressed round). Theoretical step sizes
(``L~ = sqrt(mean L_i^2)``): Theorem 4.1 (non-convex) ``1 / (L~ (1 + sqrt((1-p)(1+omega)/(p r))))``;
Theorem 4.2 (PL, ``th_stepsize_cvx``) ``min(1 / (L~ (1 + sqrt(2(1-p)(1+omega)/(p r)))), p/(2 mu))``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..core.algorithm import RoundStart, State
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ServerContext
from ..core.theory import Setting, StepSizes
from .marina import MARINA, coin, marina_step, round_broadcast
from .registry import register_algorithm


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Default ``p = (S/n) / (1 + omega)``; clients never reuse a gradient (sampling)."""
    p = options["p"]
    if p is None:
        p = setting.participation / (1.0 + setting.omega)
    return {**options, "p": p, "reuse_gradient": False}


def draw_coin(h: State, ctx: ServerContext) -> RoundStart:
    """CLIENT_STATE: the coin; a synchronization round takes every client."""
    full = coin(ctx)
    return RoundStart(round_broadcast(h, ctx, full),
                      participants=list(range(ctx.num_clients)) if full else None)


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """Theorem 4.1 (non-convex) or 4.2 (PL) of the MARINA paper."""
    p, r = options["p"], setting.clients_per_round
    return marina_step(setting, p, (1.0 - p) * (1.0 + setting.omega) / (p * r), convex)


PP_MARINA = register_algorithm(dataclasses.replace(
    MARINA, name="pp-marina",
    summary="MARINA with partial participation: all clients on sync rounds",
    options={"p": AlgoOption(fraction("p"), None, "probability of a synchronization round "
                             "(default (r/n)/(1+omega))")},
    client_state=draw_coin, step_size=step_size, resolve_options=resolve,
))
