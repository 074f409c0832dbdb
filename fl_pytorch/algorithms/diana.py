"""DIANA: compressed gradient differences to learned shifts.

Mishchenko, Gorbunov, Takac and Richtarik, 2019, "Distributed Learning with Compressed Gradient
Differences", arXiv:1901.09269.

Paper Algorithm 1 with shifts h_i (client) and h = mean h_i (server), one hook per line:
* LOCAL_GRADIENT (lines 4-6): ``m = C(grad f_i(y) - h_i)``, ``h_i <- h_i + alpha m``, direction m;
* CLIENT_OPT: local step with m; LOCAL_STATE sends the sum of the round's m, D_i;
* SERVER_GRADIENT (line 8): ``G = h + mean(D_i)``; SERVER_OPT: ``x - lr_g G``;
* SERVER_GLOBAL_STATE (line 9): ``h + alpha mean(D_i)``.
With ``-li 1`` this is the paper's method: the shifts learn g_i(x*), the compression noise
vanishes and the method converges to x* exactly. With K local steps it is the original
FL_PyTorch's: the client moves along m at every step and updates h_i K times; the server adds
the sum of the directions (docs/algorithms.md). ``alpha`` defaults to ``1 / (omega + 1)``.
Partial participation runs as in the original tool (h moves by ``alpha`` times the mean over the
round's clients, so it is not the mean of all h_i); COFIG is the paper's partial-participation
variant.

Theoretical step sizes (alpha = 1/(omega+1), full participation): strongly convex
(``th_stepsize_cvx``; Gorbunov, Hanzely and Richtarik, AISTATS 2020, "A Unified Theory of SGD",
DIANA with M = 4 omega/(n alpha)) ``1 / ((1 + 6 omega / n) L_max)``; non-convex (Horvath et al.
2019, arXiv:1904.05115, Theorem 4 with full local gradients, m = 1)
``1 / (10 L sqrt(1 + omega/n) (omega + 2))``.
"""

from __future__ import annotations

import math
from typing import Any

from ..core.algorithm import (
    Algorithm,
    State,
    Tensor,
    summing,
    zero_client_state,
    zero_server_state,
)
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ServerContext
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm
from .shifts import resolve_alpha, shifted_difference_hooks
from .theory_checks import needs_full_participation

shifted_difference, send_sum_keep_shift = shifted_difference_hooks("h")


def shifted_mean(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: ``h + mean D_i``."""
    return h["h"] + agg["d"]


def update_shift(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: ``h + alpha mean D_i``."""
    return {"h": h["h"] + ctx.options["alpha"] * agg["d"]}


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """Strongly convex ``1/((1 + 6 omega/n) L_max)``; non-convex (Horvath et al., Thm 4)."""
    needs_full_participation(setting, "diana", "cofig")
    w, n = setting.omega, setting.num_clients
    if convex:
        return StepSizes(1.0 / ((1.0 + 6.0 * w / n) * setting.L_max))
    return StepSizes(1.0 / (10.0 * setting.L * math.sqrt(1.0 + w / n) * (w + 2.0)))


DIANA = register_algorithm(Algorithm(
    name="diana", summary="compressed gradient differences to learned shifts",
    paper="Mishchenko et al., 2019",
    options={"alpha": AlgoOption(fraction("alpha"), None,
                                 "shift learning rate (default 1/(omega+1))")},
    init_server_state=zero_server_state("h"), init_client_state=zero_client_state("h"),
    local_gradient=summing(shifted_difference), local_state=send_sum_keep_shift,
    server_gradient=shifted_mean, server_global_state=update_shift, compressor_kind="unbiased",
    step_size=step_size, resolve_options=resolve_alpha, client_shifts=("h",),
    server_shifts=("h",),
))
