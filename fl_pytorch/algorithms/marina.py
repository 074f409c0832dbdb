"""MARINA: compressed gradient differences with rare synchronizations, full participation.

Gorbunov, Burlachenko, Li and Richtarik, ICML 2021, "MARINA: Faster Non-Convex Distributed
Learning with Compression", arXiv:2102.07845. Paper Algorithm 1: a coin c_k ~ Bernoulli(p),
shared by all clients (drawn by the server in CLIENT_STATE and broadcast as a 1-bit flag; the
first round is always a full one so g^0 = grad f(x^0)):
* LOCAL_STATE: if c_k send ``g_i(x)`` uncompressed, else ``C(g_i(x) - g_i(x_prev))``; the client
  stores ``g_i(x)`` for the next round (line 8);
* SERVER_GRADIENT: ``mean`` if c_k else ``g_prev + mean`` (line 9); SERVER_OPT ``x - lr_g G``
  (line 4 of the next iteration); SERVER_GLOBAL_STATE keeps G as g_prev.
``p`` defaults to ``1 / (omega + 1)``. The clients' stored g_i(x_prev) needs every client in
every round; PP-MARINA is the partial-participation variant.

Theoretical step sizes (``L~ = sqrt(mean L_i^2)``, the paper's mean-square smoothness): Theorem 2.1
(non-convex) ``1 / (L~ (1 + sqrt((1-p) omega / (p n))))``; Theorem 2.2 (PL, ``th_stepsize_cvx``)
``min(1 / (L~ (1 + sqrt(2 (1-p) omega / (p n)))), p / (2 mu))``.
"""

import math

import torch

from ..core.algorithm import Algorithm, zero_client_state, zero_server_state
from ..core.algorithm_options import AlgoOption, fraction
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm


def sync_probability(options, compressor, d):
    p = options["p"]
    return 1.0 / (compressor.omega(d) + 1.0) if p is None else p


init_server = zero_server_state("g")


init_client = zero_client_state("g_prev")


def draw_coin(h, ctx):
    p = sync_probability(ctx.options, ctx.uplink, ctx.dim)
    coin = torch.rand((), generator=ctx.generator, dtype=torch.float64).item() < p
    return {"full": ctx.round == 0 or coin}


def send_gradient_or_difference(ctx, x, y):
    g = ctx.grad(x)
    ctx.new_state["g_prev"] = g
    if ctx.broadcast["full"]:
        return {"m": ctx.send(g)}
    return {"m": ctx.compress(g - ctx.state["g_prev"])}


def estimator(agg, h, ctx):
    """SERVER_GRADIENT of the MARINA family: the mean on sync rounds, else g_prev + mean."""
    return agg["m"] if ctx.broadcast["full"] else h["g"] + agg["m"]


def keep_estimator(agg, h, ctx):
    return {"g": ctx.direction}


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    p = sync_probability(options, setting.uplink, setting.dim)
    return marina_step(setting, p, (1.0 - p) * setting.omega / (p * setting.num_clients), convex)


def marina_step(setting: Setting, p: float, ratio: float, convex: bool) -> StepSizes:
    """MARINA's step (Thm 2.1 non-convex, 2.2 PL) for the variance ``ratio`` of its estimator."""
    if not convex:
        return StepSizes(1.0 / (setting.L_tilde * (1.0 + math.sqrt(ratio))))
    return StepSizes(min(1.0 / (setting.L_tilde * (1.0 + math.sqrt(2.0 * ratio))),
                         p / (2.0 * setting.mu)))


MARINA = register_algorithm(Algorithm(
    name="marina", summary="compressed gradient differences with rare full synchronizations",
    paper="Gorbunov et al., ICML 2021", local_steps=False,
    options={"p": AlgoOption(fraction("p"), None,
                             "probability of a full-gradient round (default 1/(omega+1))")},
    init_server_state=init_server, init_client_state=init_client, client_state=draw_coin,
    local_state=send_gradient_or_difference, server_gradient=estimator,
    server_global_state=keep_estimator, compressor_kind="unbiased", full_participation=True,
    step_size=step_size,
))
