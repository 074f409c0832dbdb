"""FedNL-LS: FedNL with a backtracking line search on the server (global convergence).

Safaryan, Islamov, Qian and Richtarik, ICML 2022, arXiv:2106.02969, Algorithm 2, with uFedNL's
choices (Burlachenko and Richtarik 2024: the Hessian learned in the round, options 1 and 2):

* LOCAL_STATE (lines 4-6): FedNL's message plus ``f_i(x)`` (one value);
* SERVER_GRADIENT (lines 8-10): ``H <- H + alpha sum w_i S_i``, the direction
  ``d = -[H]^-1 grad f(x)`` of option 1 or 2 and the step ``gamma^s`` with s the smallest
  integer such that ``f(x + gamma^s d) <= f(x) + c gamma^s <grad f(x), d>``; every trial point
  is sent to the clients and their ``f_i`` come back (``ServerContext.objective``, one model down
  and one value up per client and trial, counted in the round's bits). After 40 halvings the
  last step is taken. SERVER_OPT ``x - lr (gamma^s [H]^-1 grad f)``; SERVER_GLOBAL_STATE keeps H.

Defaults ``c = 0.49``, ``gamma = 0.5`` as in uFedNL's scripts. Metrics: FedNL's and
``line_search_steps`` (s of the round).
"""

from __future__ import annotations

import dataclasses

import torch

from ..core.algorithm import State, Work
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ClientContext, ServerContext
from .fednl import FEDNL, FEDNL_OPTIONS, learn_hessian, newton_step
from .fednl_batched import batched_runner
from .registry import register_algorithm
from .second_order import METRICS

MAX_HALVINGS = 40


def _armijo(v: str) -> float:
    value = float(v)
    if not 0 < value <= 0.5:
        raise ValueError("c must be in (0, 0.5]")
    return value


def _shrink(v: str) -> float:
    value = fraction("gamma")(v)
    if value >= 1:
        raise ValueError("gamma must be in (0, 1)")
    return value


def learn_with_value(ctx: ClientContext, x: torch.Tensor, y: torch.Tensor, work: Work
                     ) -> tuple[State, State]:
    """LOCAL_STATE: FedNL's message and the local objective value."""
    message, updates = learn_hessian(ctx, x, y, work)
    message["f"] = ctx.send(ctx.oracle.value(x, ctx.inputs, ctx.targets).reshape(()))
    return message, updates


def line_search(agg: State, h: State, ctx: ServerContext) -> torch.Tensor:
    """SERVER_GRADIENT: the Newton direction scaled by the backtracking step."""
    direction = newton_step(agg, h, ctx)
    f0, slope = float(agg["f"]), -float(agg["g"] @ direction)
    c, gamma = ctx.options["c"], ctx.options["gamma"]
    step, halvings = 1.0, 0
    while halvings < MAX_HALVINGS and \
            ctx.objective(ctx.x - step * direction) > f0 + c * step * slope:
        step *= gamma
        halvings += 1
    ctx.metrics["line_search_steps"] = float(halvings)
    return step * direction


FEDNL_LS = register_algorithm(dataclasses.replace(
    FEDNL, name="fednl-ls", summary="FedNL with a backtracking line search on the server "
    "(global convergence)",
    options={**FEDNL_OPTIONS,
             "c": AlgoOption(_armijo, 0.49, "Armijo constant c of the line search, in (0, 0.5]"),
             "gamma": AlgoOption(_shrink, 0.5, "step shrink factor gamma, in (0, 1)")},
    local_state=learn_with_value, server_gradient=line_search,
    extra={**FEDNL.extra, "metrics": (*METRICS, "line_search_steps"),
           "batched": batched_runner("fednl-ls")},
))
