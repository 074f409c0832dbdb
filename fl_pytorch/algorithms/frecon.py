"""FRECON: learned shifts plus a recursive gradient estimator, with partial participation.

Zhao, Burlachenko, Li and Richtarik, 2021, "Faster Rates for Compressed Federated Learning with
Client-Variance Reduction", arXiv:2112.13097, Algorithm 2.

COFIG's learned shifts combined with a recursive (SARAH/MARINA-type) estimator g:

* CLIENT_STATE: broadcast the previous model x_prev (its bits are counted);
* LOCAL_GRADIENT (lines 5-8), at every local step y: ``u = C(grad f_i(y) - h_i)``,
  ``h_i <- h_i + alpha u``, and ``q_i = C(grad f_i(y) - grad f_i(x_prev))`` (same minibatch,
  independent compressor draw); the direction is u. CLIENT_OPT steps with u; LOCAL_STATE sends
  the sum D_i of the round's u and the last q_i (``-li 1``: u_i and q_i);
* SERVER_GRADIENT (line 9): ``G = mean q_i + (1 - lambda) g + lambda (mean D_i + h)``;
  SERVER_OPT (line 3 of the next iteration): ``x - lr G``;
* SERVER_GLOBAL_STATE (line 10): ``h + alpha sum_{i in S} w_i D_i``; keep G as g and x as x_prev.

The first round has x_prev = x0 and g = 0 (no full gradient at start, unlike the paper's
g^0 = grad f(x^0)); the estimator's error then decays like (1 - lambda)^t.
``alpha`` defaults to ``1/(1+omega)`` and ``lambda`` to ``S / (2 (1+omega) n)`` (S expected
clients per round). Theoretical step size, non-convex only (the paper has no convex result for
FRECON): ``1 / (L (1 + sqrt(10 (1+omega)^2 n / S^2)))`` with L = max L_i.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..core.algorithm import Algorithm, State, Tensor, Work, batchable, direction_sum, summing
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting, StepSizes
from ..errors import ConfigError
from .cofig import init_client
from .registry import register_algorithm
from .shifts import compressed_shifted_difference, kept


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Defaults ``alpha = 1/(1+omega)`` and ``lambda = S / (2 (1+omega) n)``."""
    w, s, n = setting.omega, setting.clients_per_round, setting.num_clients
    alpha, lam = options["alpha"], options["lambda"]
    return {**options, "alpha": 1.0 / (1.0 + w) if alpha is None else alpha,
            "lambda": s / (2.0 * (1.0 + w) * n) if lam is None else lam}


def init_server(x0: Tensor, ctx: ServerContext) -> State:
    """INIT_SERVER_STATE: h = 0, g = 0, x_prev = x0."""
    return {"h": torch.zeros_like(x0), "g": torch.zeros_like(x0), "x_prev": x0.detach().clone()}


def broadcast_previous_model(h: State, ctx: ServerContext) -> dict[str, object]:
    """CLIENT_STATE: the previous model x_prev."""
    return {"x_prev": h["x_prev"]}


@batchable
def shift_and_recursive_differences(ctx: ClientContext, y: Tensor, work: Work
                                    ) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: u = C(grad - h_i) (the direction, moving h_i); q = C(grad - grad(x_prev))."""
    g = ctx.grad(y)
    u, work = compressed_shifted_difference(ctx, g, "h_i", work)
    return u, {**work, "q": ctx.compress(g - ctx.grad(ctx.broadcast["x_prev"]))}


@batchable
def send_directions_and_difference(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                                   ) -> tuple[State, State]:
    """LOCAL_STATE: the sum of the round's u and the last q; store the moved shift."""
    return {"d": direction_sum(ctx, x, y, work), "q": work["q"]}, kept(work, "h_i")


def recursive_estimator(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: ``mean q + (1 - lambda) g + lambda (mean D_i + h)``."""
    lam = ctx.options["lambda"]
    return agg["q"] + (1.0 - lam) * h["g"] + lam * (agg["d"] + h["h"])


def update_state(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: ``h + alpha sum_S w_i D_i``; G as g; x as x_prev."""
    return {"h": h["h"] + ctx.options["alpha"] * ctx.participation_weight * agg["d"],
            "g": ctx.direction, "x_prev": ctx.x}


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """The paper's non-convex step size (there is no convex one)."""
    if convex:
        raise ConfigError("--algorithm-options: invalid value 'th_stepsize_cvx' for algorithm "
                          "'frecon'; its paper gives a non-convex step size only; valid: "
                          "th_stepsize_noncvx")
    w, s, n = setting.omega, setting.clients_per_round, setting.num_clients
    return StepSizes(1.0 / (setting.L_max * (1.0 + math.sqrt(10.0 * (1.0 + w) ** 2 * n / s ** 2))))


FRECON = register_algorithm(Algorithm(
    name="frecon", summary="learned shifts plus a recursive estimator, partial participation",
    paper="Zhao, Burlachenko, Li, Richtarik, 2021",
    options={"alpha": AlgoOption(fraction("alpha"), None,
                                 "shift learning rate (default 1/(1+omega))"),
             "lambda": AlgoOption(fraction("lambda"), None,
                                  "weight of the shifted estimate in g (default S/(2(1+omega)n))")},
    init_server_state=init_server, init_client_state=init_client,
    client_state=broadcast_previous_model,
    local_gradient=summing(shift_and_recursive_differences),
    local_state=send_directions_and_difference,
    server_gradient=recursive_estimator, server_global_state=update_state,
    compressor_kind="unbiased", step_size=step_size, resolve_options=resolve,
    client_shifts=("h_i",), server_shifts=("h", "g"),
))
