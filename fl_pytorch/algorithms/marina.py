"""MARINA: compressed gradient differences with rare synchronizations.

Gorbunov, Burlachenko, Li and Richtarik, ICML 2021, "MARINA: Faster Non-Convex Distributed
Learning with Compression", arXiv:2102.07845. Paper Algorithm 1: a coin c_k ~ Bernoulli(p),
shared by all clients (drawn by the server in CLIENT_STATE and broadcast as a 1-bit flag; the
first round is always a full one so g^0 = grad f(x^0)):

* LOCAL_GRADIENT (line 8), at every local step y: on c_k = 1 the uncompressed ``grad f_i(y)``;
  else ``g + C(grad f_i(y) - grad f_i(x_prev))``; CLIENT_OPT steps with it; LOCAL_STATE sends the
  sum D_i of the round's directions (the bits of every step are counted);
* SERVER_GRADIENT (line 9): ``G = mean D_i``; SERVER_OPT ``x - lr_g G`` (line 4 of the next
  iteration); SERVER_GLOBAL_STATE keeps G as g and the round's x as x_prev.

With ``-li 1`` this is the paper's method: the clients need neither g (the server adds it) nor
x_prev (with full participation and full gradients each client reuses its gradient of the
previous round; otherwise x_prev is broadcast, its bits counted, and both gradients are taken on
the same minibatch). With K local steps it is the original FL_PyTorch's local-step version: g is
broadcast, each local direction is ``g + C(grad f_i(y^k) - grad f_i(x_prev))`` and the server's
new g is the sum of the K directions (docs/algorithms.md). Client sampling runs as in the
original tool: only the round's clients, on synchronization rounds too (PP-MARINA brings every
client to a synchronization round). ``p`` defaults to ``1 / (omega + 1)``.

Theoretical step sizes (full participation; ``L~ = sqrt(mean L_i^2)``, the paper's mean-square
smoothness): Theorem 2.1 (non-convex) ``1 / (L~ (1 + sqrt((1-p) omega / (p n))))``; Theorem 2.2
(PL, ``th_stepsize_cvx``) ``min(1 / (L~ (1 + sqrt(2 (1-p) omega / (p n)))), p / (2 mu))``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..core.algorithm import Algorithm, State, Tensor, Work, batchable, direction_sum, summing
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm
from .theory_checks import needs_full_participation


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Default ``p = 1/(omega + 1)``; whether clients reuse their previous gradient."""
    p = options["p"]
    reuse = setting.participation >= 1.0 and options["internal_sgd"] == "full-gradient"
    return {**options, "p": 1.0 / (setting.omega + 1.0) if p is None else p,
            "reuse_gradient": reuse}


def init_server(x0: Tensor, ctx: ServerContext) -> State:
    """INIT_SERVER_STATE: g = 0, x_prev = x0."""
    return {"g": torch.zeros_like(x0), "x_prev": x0.detach().clone()}


def coin(ctx: ServerContext) -> bool:
    """The round's shared coin c_k ~ Bernoulli(p); the first round always synchronizes."""
    draw = torch.rand((), generator=ctx.generator, dtype=torch.float64).item()
    return ctx.round == 0 or draw < ctx.options["p"]


def round_broadcast(h: State, ctx: ServerContext, full: bool) -> dict[str, object]:
    """What the clients need: the coin, and on compressed rounds g and x_prev.

    g only when a client takes several local steps; x_prev unless every client can reuse its
    gradient of the previous round.
    """
    if full:
        return {"full": True}
    sent: dict[str, object] = {"full": False}
    if ctx.max_local_steps > 1:
        sent["g"] = h["g"]
    if not ctx.options["reuse_gradient"]:
        sent["x_prev"] = h["x_prev"]
    return sent


def draw_coin(h: State, ctx: ServerContext) -> dict[str, object]:
    """CLIENT_STATE: the coin and what the clients need."""
    return round_broadcast(h, ctx, coin(ctx))


@batchable
def gradient_or_difference(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: ``grad f_i(y)`` or ``g + C(grad f_i(y) - grad f_i(x_prev))``."""
    g = ctx.grad(y)
    if ctx.options["reuse_gradient"] and ctx.step == 0:
        work = {**work, "g_now": g}  # the gradient at this round's x, reused next round
    sent = ctx.broadcast
    if sent["full"]:
        return ctx.send(g), work
    previous = ctx.grad(sent["x_prev"]) if "x_prev" in sent else work["g_last"]
    m = ctx.compress(g - previous)
    return (m + sent["g"] if "g" in sent else m), work


@batchable
def send_sum(ctx: ClientContext, x: Tensor, y: Tensor, work: Work) -> tuple[State, State]:
    """LOCAL_STATE: D_i; keep this round's gradient at x when it is reused next round."""
    updates = {"g_last": work["g_now"]} if "g_now" in work else {}
    return {"d": direction_sum(ctx, x, y, work)}, updates


def estimator(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT of the MARINA family: ``mean D_i`` (plus g when the clients lacked it)."""
    sent = ctx.broadcast
    return agg["d"] if sent["full"] or "g" in sent else h["g"] + agg["d"]


def keep_estimator(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: G as g, the round's x as x_prev."""
    return {"g": ctx.direction, "x_prev": ctx.x}


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """Theorem 2.1 (non-convex) or 2.2 (PL) of the MARINA paper."""
    needs_full_participation(setting, "marina", "pp-marina")
    p = options["p"]
    return marina_step(setting, p, (1.0 - p) * setting.omega / (p * setting.num_clients), convex)


def marina_step(setting: Setting, p: float, ratio: float, convex: bool) -> StepSizes:
    """MARINA's step (Thm 2.1 non-convex, 2.2 PL) for the variance ``ratio`` of its estimator."""
    if not convex:
        return StepSizes(1.0 / (setting.L_tilde * (1.0 + math.sqrt(ratio))))
    return StepSizes(min(1.0 / (setting.L_tilde * (1.0 + math.sqrt(2.0 * ratio))),
                         p / (2.0 * setting.mu)))


MARINA = register_algorithm(Algorithm(
    name="marina", summary="compressed gradient differences with rare full synchronizations",
    paper="Gorbunov et al., ICML 2021",
    options={"p": AlgoOption(fraction("p"), None,
                             "probability of a full-gradient round (default 1/(omega+1))")},
    init_server_state=init_server, client_state=draw_coin,
    local_gradient=summing(gradient_or_difference), local_state=send_sum,
    server_gradient=estimator,
    server_global_state=keep_estimator, compressor_kind="unbiased", step_size=step_size,
    resolve_options=resolve,
))
