"""EF21: error feedback with tracked gradients, full participation.

Richtarik, Sokolov and Fatkhullin, NeurIPS 2021, "EF21: A New, Simpler, Theoretically Better, and
Practically Faster Error Feedback", arXiv:2106.05203.

Paper Algorithm 2 with a contractive compressor C (an unbiased one is used as C/(omega+1)); round
t evaluates at x^t and steps with g^t, which equals the paper's order with g_i^0 = C(grad f_i(x^0))
(its suggested start):

* LOCAL_STATE (lines 5-7): ``c_i = C(grad f_i(x) - g_i)``; store ``g_i + c_i``; send c_i;
* SERVER_GRADIENT (line 9): ``G = g + sum_{i in S} w_i c_i`` (= ``g + mean c_i`` here);
  SERVER_OPT (line 3): ``x - lr G``; SERVER_GLOBAL_STATE keeps G as g.

The server's g is the weighted sum of the clients' g_i at all times, and g_i tracks
grad f_i(x), so the method converges to the exact minimizer where DCGD with the same
contractive compressor does not.

Theoretical step sizes (``theta = 1 - sqrt(1 - alpha)``, ``beta = (1 - alpha) / theta``,
``L~ = sqrt(mean L_i^2)``): Theorem 1 (non-convex) ``1 / (L + L~ sqrt(beta / theta))``;
Theorem 2 (PL, ``th_stepsize_cvx``) ``min(1 / (L + L~ sqrt(2 beta / theta)), theta / (2 mu))``.
"""

from __future__ import annotations

import math

from ..core.algorithm import Algorithm, zero_client_state, zero_server_state
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm

init_server = zero_server_state("g")


init_client = zero_client_state("g_i")


def send_compressed_correction(ctx, x, y):
    g_i = ctx.state["g_i"]
    c = ctx.compress(ctx.grad(x) - g_i)
    ctx.new_state["g_i"] = g_i + c
    return {"c": c}


def add_corrections(agg, h, ctx):
    return h["g"] + ctx.participation_weight * agg["c"]


def keep_estimator(agg, h, ctx):
    return {"g": ctx.direction}


def ef21_constants(alpha: float) -> tuple[float, float]:
    """(theta, beta) of EF21's Lemma: theta = 1 - sqrt(1 - alpha), beta = (1 - alpha) / theta."""
    theta = 1.0 - math.sqrt(1.0 - alpha)
    return theta, (1.0 - alpha) / theta


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    theta, beta = ef21_constants(setting.alpha)
    if not convex:
        return StepSizes(1.0 / (setting.L + setting.L_tilde * math.sqrt(beta / theta)))
    return StepSizes(min(1.0 / (setting.L + setting.L_tilde * math.sqrt(2 * beta / theta)),
                         theta / (2 * setting.mu)))


EF21 = register_algorithm(Algorithm(
    name="ef21", summary="error feedback: compressed corrections of tracked gradients g_i",
    paper="Richtarik, Sokolov, Fatkhullin, NeurIPS 2021", local_steps=False,
    init_server_state=init_server, init_client_state=init_client,
    local_state=send_compressed_correction, server_gradient=add_corrections,
    server_global_state=keep_estimator, compressor_kind="contractive", full_participation=True,
    step_size=step_size,
))
