"""EF21: error feedback with tracked gradients.

Richtarik, Sokolov and Fatkhullin, NeurIPS 2021, "EF21: A New, Simpler, Theoretically Better, and
Practically Faster Error Feedback", arXiv:2106.05203.

Paper Algorithm 2 with a contractive compressor C (an unbiased one is used as C/(omega+1)); round
t evaluates at x^t and steps with g^t, which equals the paper's order with g_i^0 = C(grad f_i(x^0))
(its suggested start):

* LOCAL_GRADIENT (lines 5-7): ``c = C(grad f_i(y) - g_i)``; ``g_i <- g_i + c``; direction g_i;
  CLIENT_OPT steps with it; LOCAL_STATE sends the sum D_i of the round's directions (only the
  corrections c travel: their bits are counted at every step);
* SERVER_GRADIENT (line 9): ``G = mean_{i in S} D_i``; with every client and ``-li 1`` this is
  ``g + sum_i w_i c_i``, the paper's; SERVER_OPT (line 3): ``x - lr G``.

The server's direction is the weighted sum of the clients' g_i, and g_i tracks grad f_i(x), so the
method converges to the exact minimizer where DCGD with the same contractive compressor does not.
With K local steps and with client sampling it runs as the original FL_PyTorch: the mean over the
round's clients of their summed directions (EF21-PP is the paper's partial-participation method).

Theoretical step sizes (full participation; ``theta = 1 - sqrt(1 - alpha)``,
``beta = (1 - alpha) / theta``, ``L~ = sqrt(mean L_i^2)``): Theorem 1 (non-convex)
``1 / (L + L~ sqrt(beta / theta))``; Theorem 2 (PL, ``th_stepsize_cvx``)
``min(1 / (L + L~ sqrt(2 beta / theta)), theta / (2 mu))``; both times ``stepsize_multiplier``
(the original tool's option, default 1).
"""

from __future__ import annotations

import math
from typing import Any

from ..core.algorithm import (
    Algorithm,
    State,
    Tensor,
    Work,
    batchable,
    direction_sum,
    summing,
    zero_client_state,
)
from ..core.algorithm_options import AlgoOption, positive
from ..core.context import ClientContext
from ..core.theory import Setting, StepSizes
from .dcgd import mean_direction
from .registry import register_algorithm
from .shifts import kept
from .theory_checks import needs_full_participation

init_client = zero_client_state("g_i")

MULTIPLIER = {"stepsize_multiplier": AlgoOption(
    positive("stepsize_multiplier"), 1.0,
    "factor applied to the theoretical step size (th_stepsize_cvx/noncvx), as the original tool")}


@batchable
def tracked_gradient(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: ``g_i <- g_i + C(grad f_i(y) - g_i)``; the direction is the new g_i."""
    g_i = work["g_i"]
    g_new = g_i + ctx.compress(ctx.grad(y) - g_i)
    return g_new, {**work, "g_i": g_new}


@batchable
def send_sum_keep_tracker(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                          ) -> tuple[State, State]:
    """LOCAL_STATE: send D_i (only the corrections travel: bits counted per step); store g_i."""
    return {"d": direction_sum(ctx, x, y, work)}, kept(work, "g_i")


def ef21_constants(alpha: float) -> tuple[float, float]:
    """(theta, beta) of EF21's Lemma: theta = 1 - sqrt(1 - alpha), beta = (1 - alpha) / theta."""
    theta = 1.0 - math.sqrt(1.0 - alpha)
    return theta, (1.0 - alpha) / theta


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """EF21's Theorems 1 (non-convex) and 2 (PL), times ``stepsize_multiplier``."""
    needs_full_participation(setting, "ef21", "ef21-pp")
    theta, beta = ef21_constants(setting.alpha)
    if not convex:
        gamma = 1.0 / (setting.L + setting.L_tilde * math.sqrt(beta / theta))
    else:
        gamma = min(1.0 / (setting.L + setting.L_tilde * math.sqrt(2 * beta / theta)),
                    theta / (2 * setting.mu))
    return StepSizes(gamma * options["stepsize_multiplier"])


EF21 = register_algorithm(Algorithm(
    name="ef21", summary="error feedback: compressed corrections of tracked gradients g_i",
    paper="Richtarik, Sokolov, Fatkhullin, NeurIPS 2021", options=MULTIPLIER,
    init_client_state=init_client, local_gradient=summing(tracked_gradient),
    local_state=send_sum_keep_tracker, server_gradient=mean_direction,
    compressor_kind="contractive", step_size=step_size,
))
