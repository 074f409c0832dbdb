"""DIANA: compressed gradient differences to learned shifts (no local steps).

Mishchenko, Gorbunov, Takac and Richtarik, 2019, "Distributed Learning with Compressed Gradient
Differences", arXiv:1901.09269.

Paper Algorithm 1 with shifts h_i (client) and h = mean h_i (server), full participation:
* LOCAL_STATE: ``m_i = C(g_i(x) - h_i)``, send m_i, store ``h_i + alpha m_i`` (lines 4-6);
* SERVER_GRADIENT: ``G = h + mean(m_i)`` (line 8); SERVER_OPT: ``x - lr_g G``;
* SERVER_GLOBAL_STATE: ``h + alpha mean(m_i)`` (line 9).
``alpha`` defaults to ``1 / (omega + 1)`` of the uplink compressor. The shifts learn g_i(x*), so
the compression noise vanishes and the method converges to x* exactly. Every client takes part in
every round (COFIG is DIANA with partial participation).

Theoretical step sizes (alpha = 1/(omega+1)): strongly convex (``th_stepsize_cvx``; Gorbunov,
Hanzely and Richtarik, AISTATS 2020, "A Unified Theory of SGD", DIANA with M = 4 omega/(n alpha))
``1 / ((1 + 6 omega / n) L_max)``; non-convex (Horvath et al. 2019, arXiv:1904.05115,
Theorem 4 with full local gradients, m = 1) ``1 / (10 L sqrt(1 + omega/n) (omega + 2))``.
"""

import math

from ..core.algorithm import Algorithm, zero_client_state, zero_server_state
from ..core.algorithm_options import AlgoOption, fraction
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm


def shift_rate(options, compressor, d):
    alpha = options["alpha"]
    return 1.0 / (compressor.omega(d) + 1.0) if alpha is None else alpha


init_shift = zero_client_state("h")


init_server = zero_server_state("h")


def send_shifted_difference(ctx, x, y):
    h_i = ctx.state["h"]
    m = ctx.compress(ctx.grad(x) - h_i)
    ctx.new_state["h"] = h_i + shift_rate(ctx.options, ctx.uplink, x.numel()) * m
    return {"m": m}


def shifted_mean(agg, h, ctx):
    return h["h"] + agg["m"]


def update_shift(agg, h, ctx):
    return {"h": h["h"] + shift_rate(ctx.options, ctx.uplink, ctx.dim) * agg["m"]}


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    w, n = setting.omega, setting.num_clients
    if convex:
        return StepSizes(1.0 / ((1.0 + 6.0 * w / n) * setting.L_max))
    return StepSizes(1.0 / (10.0 * setting.L * math.sqrt(1.0 + w / n) * (w + 2.0)))


DIANA = register_algorithm(Algorithm(
    name="diana", summary="compressed gradient differences to learned shifts (no local steps)",
    paper="Mishchenko et al., 2019", local_steps=False,
    options={"alpha": AlgoOption(fraction("alpha"), None,
                                 "shift learning rate (default 1/(omega+1))")},
    init_server_state=init_server, init_client_state=init_shift,
    local_state=send_shifted_difference, server_gradient=shifted_mean,
    server_global_state=update_shift, compressor_kind="unbiased", full_participation=True,
    step_size=step_size,
))
