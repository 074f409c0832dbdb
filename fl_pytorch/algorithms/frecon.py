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

import torch

from ..core.algorithm import Algorithm, sum_and_step
from ..core.algorithm_options import AlgoOption, fraction
from ..core.theory import Setting, StepSizes
from ..errors import ConfigError
from .cofig import init_client
from .dcgd import send_direction_sum
from .registry import register_algorithm
from .shifts import compressed_shifted_difference


def resolve(options, setting: Setting):
    w, s, n = setting.omega, setting.clients_per_round, setting.num_clients
    alpha, lam = options["alpha"], options["lambda"]
    return {**options, "alpha": 1.0 / (1.0 + w) if alpha is None else alpha,
            "lambda": s / (2.0 * (1.0 + w) * n) if lam is None else lam}


def init_server(x0, ctx):
    return {"h": torch.zeros_like(x0), "g": torch.zeros_like(x0), "x_prev": x0.detach().clone()}


def broadcast_previous_model(h, ctx):
    return {"x_prev": h["x_prev"]}


def shift_and_recursive_differences(ctx, y):
    """LOCAL_GRADIENT: u = C(grad - h_i) (the direction, moving h_i); q = C(grad - grad(x_prev))."""
    g = ctx.grad(y)
    u = compressed_shifted_difference(ctx, g, "h_i")
    ctx.scratch["q"] = ctx.compress(g - ctx.grad(ctx.broadcast["x_prev"]))
    return u


def send_directions_and_difference(ctx, x, y):
    """LOCAL_STATE: the sum of the round's u and the last q."""
    return {**send_direction_sum(ctx, x, y), "q": ctx.scratch["q"]}


def recursive_estimator(agg, h, ctx):
    lam = ctx.options["lambda"]
    return agg["q"] + (1.0 - lam) * h["g"] + lam * (agg["d"] + h["h"])


def update_state(agg, h, ctx):
    return {"h": h["h"] + ctx.options["alpha"] * ctx.participation_weight * agg["d"],
            "g": ctx.direction, "x_prev": ctx.x}


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
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
    client_state=broadcast_previous_model, local_gradient=shift_and_recursive_differences,
    client_opt=sum_and_step, local_state=send_directions_and_difference,
    server_gradient=recursive_estimator, server_global_state=update_state,
    compressor_kind="unbiased", step_size=step_size, resolve_options=resolve,
    client_shifts=("h_i",), server_shifts=("h", "g"),
))
