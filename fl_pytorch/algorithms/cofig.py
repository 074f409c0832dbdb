"""COFIG: compressed gradient differences to learned shifts, with partial participation.

Zhao, Burlachenko, Li and Richtarik, 2021, "Faster Rates for Compressed Federated Learning with
Client-Variance Reduction", arXiv:2112.13097, Algorithm 1, with the paper's two client sets
taken equal (S' = S, as in the original FL_PyTorch).

Compressed gradient differences to learned shifts h_i, with partial participation:

* LOCAL_GRADIENT (lines 5-7): ``u = C(grad f_i(y) - h_i)``, ``h_i <- h_i + alpha u``, direction u;
  CLIENT_OPT steps with u; LOCAL_STATE sends the sum of the round's u, D_i (``-li 1``: u_i);
* SERVER_GRADIENT (line 9): ``G = h + mean_{i in S} D_i``; SERVER_OPT (line 10): ``x - lr G``;
* SERVER_GLOBAL_STATE (line 11): ``h + alpha sum_{i in S} w_i D_i`` (alpha/n sum over S for
  uniform weights), so h stays exactly the weighted sum of all h_i, sampled or not. (DIANA's
  ``h + alpha mean D_i`` is this with full participation.) K local steps follow the original
  FL_PyTorch (docs/algorithms.md).

``alpha`` defaults to ``1 / (1 + omega)``. Theoretical step sizes (S expected clients per round,
n clients, L = max L_i): non-convex (Theorem 1)
``min(1/(2L), S/(5 L (1+omega) n^(2/3)), S/(5 L (1+omega)^(3/2) n^(1/2)))``; convex
(``th_stepsize_cvx``, the paper's convex theorem as in the original tool, whose second term lacks
the 1/L restored here) ``min(1/(L (2 + 8 (1+omega)/S)), S/((1+omega) sqrt(n) L))``.
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

init_client = zero_client_state("h_i")


shifted_difference, send_sum_keep_shift = shifted_difference_hooks("h_i")


def shifted_mean(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: ``h + mean_S D_i``."""
    return h["h"] + agg["d"]


def update_shift(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: ``h + alpha sum_S w_i D_i``."""
    return {"h": h["h"] + ctx.options["alpha"] * ctx.participation_weight * agg["d"]}


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """The convex and non-convex theorems' step sizes (module docstring)."""
    s, n, w, big_l = setting.clients_per_round, setting.num_clients, setting.omega, setting.L_max
    if convex:
        return StepSizes(min(1.0 / (big_l * (2.0 + 8.0 * (1.0 + w) / s)),
                             s / ((1.0 + w) * math.sqrt(n) * big_l)))
    return StepSizes(min(1.0 / (2.0 * big_l),
                         s / (5.0 * big_l * (1.0 + w) * n ** (2.0 / 3.0)),
                         s / (5.0 * big_l * (1.0 + w) ** 1.5 * math.sqrt(n))))


COFIG = register_algorithm(Algorithm(
    name="cofig", summary="compressed differences to learned shifts, partial participation",
    paper="Zhao, Burlachenko, Li, Richtarik, 2021",
    options={"alpha": AlgoOption(fraction("alpha"), None,
                                 "shift learning rate (default 1/(1+omega))")},
    init_server_state=zero_server_state("h"), init_client_state=init_client,
    local_gradient=summing(shifted_difference), local_state=send_sum_keep_shift,
    server_gradient=shifted_mean, server_global_state=update_shift, compressor_kind="unbiased",
    step_size=step_size, resolve_options=resolve_alpha, client_shifts=("h_i",),
    server_shifts=("h",),
))
