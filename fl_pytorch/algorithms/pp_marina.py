"""PP-MARINA: MARINA with partial participation.

Gorbunov, Burlachenko, Li and Richtarik, ICML 2021, "MARINA: Faster Non-Convex Distributed
Learning with Compression", arXiv:2102.07845, Algorithm 4.

A coin c_k ~ Bernoulli(p) shared by all clients (the first round always synchronizes):

* CLIENT_STATE (lines 3-5): draw c_k; on c_k = 1 every client takes part (``ctx.participants``
  becomes all clients), else the sampled r clients do; broadcast the flag and, on c_k = 0, the
  previous model x_prev (sampled clients may not have seen it; its bits are counted);
* LOCAL_STATE (lines 6-8): c_k = 1: send ``grad f_i(x)`` uncompressed; c_k = 0: send
  ``C(grad f_i(x) - grad f_i(x_prev))`` (both gradients on the same minibatch);
* SERVER_GRADIENT (line 9): ``mean`` if c_k else ``g + mean``; SERVER_OPT ``x - lr G``;
* SERVER_GLOBAL_STATE: keep G as g and the round's x as x_prev.

``p`` defaults to ``(r/n) / (1 + omega)`` with r the expected clients per round (the paper's
choice: a synchronization costs n/r times a compressed round). Theoretical step sizes
(``L~ = sqrt(mean L_i^2)``): Theorem 4.1 (non-convex) ``1 / (L~ (1 + sqrt((1-p)(1+omega)/(p r))))``;
Theorem 4.2 (PL, ``th_stepsize_cvx``) ``min(1 / (L~ (1 + sqrt(2(1-p)(1+omega)/(p r)))), p/(2 mu))``.
"""

from __future__ import annotations

import torch

from ..core.algorithm import Algorithm
from ..core.algorithm_options import AlgoOption, fraction
from ..core.theory import Setting, StepSizes
from .marina import estimator, marina_step
from .registry import register_algorithm


def resolve(options, setting: Setting):
    p = options["p"]
    if p is None:
        p = setting.participation / (1.0 + setting.omega)
    return {**options, "p": p}


def init_server(x0, ctx):
    return {"g": torch.zeros_like(x0), "x_prev": x0.detach().clone(), "synced": torch.zeros(())}


def draw_coin(h, ctx):
    coin = torch.rand((), generator=ctx.generator, dtype=torch.float64).item() < ctx.options["p"]
    if coin or not bool(h["synced"]):
        ctx.participants = list(range(ctx.num_clients))
        return {"full": True}
    return {"full": False, "x_prev": h["x_prev"]}


def send_gradient_or_difference(ctx, x, y):
    if ctx.broadcast["full"]:
        return {"m": ctx.send(ctx.grad(x))}
    return {"m": ctx.compress(ctx.grad(x) - ctx.grad(ctx.broadcast["x_prev"]))}


def keep_estimator(agg, h, ctx):
    return {"g": ctx.direction, "x_prev": ctx.x, "synced": torch.ones(())}


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    p, r = options["p"], setting.clients_per_round
    return marina_step(setting, p, (1.0 - p) * (1.0 + setting.omega) / (p * r), convex)


PP_MARINA = register_algorithm(Algorithm(
    name="pp-marina", summary="MARINA with partial participation: all clients on sync rounds",
    paper="Gorbunov et al., ICML 2021", local_steps=False,
    options={"p": AlgoOption(fraction("p"), None, "probability of a synchronization round "
                             "(default (r/n)/(1+omega))")},
    init_server_state=init_server, client_state=draw_coin,
    local_state=send_gradient_or_difference, server_gradient=estimator,
    server_global_state=keep_estimator, compressor_kind="unbiased", step_size=step_size,
    resolve_options=resolve,
))
