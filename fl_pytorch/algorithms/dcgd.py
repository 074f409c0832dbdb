"""DCGD: distributed compressed gradient descent.

Khirirat, Feyzmahdavian and Johansson, 2018, "Distributed learning with compressed gradients",
arXiv:1806.06573. LOCAL_GRADIENT is ``d^k = C(grad f_i(y^k))``; CLIENT_OPT steps with it; the
directions are summed; LOCAL_STATE sends their sum D_i (``-li 1``: ``C(grad f_i(x))``, the bits
of every step are counted); SERVER_GRADIENT is the weighted mean of D_i over the round's clients;
SERVER_OPT ``x - lr_g G``. With an unbiased compressor and heterogeneous clients it converges
only to a neighbourhood of x* (the compression noise does not vanish, since grad f_i(x*) != 0);
with a contractive one (top-k) its fixed point is not x* at all (EF21 fixes both).

Theoretical step size (unbiased compressors; the expected-smoothness step size of the original
FL_PyTorch, after Horvath et al. 2019, arXiv:1905.10988, with an uncompressed downlink):
``1 / (L + 2 L_max omega / S)``, S the expected clients per round; the same for
``th_stepsize_cvx`` and ``th_stepsize_noncvx``.
"""

from __future__ import annotations

from typing import Any

from ..core.algorithm import Algorithm, State, Tensor, Work, batchable, direction_sum, summing
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm


@batchable
def compressed_gradient(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: ``C(grad f_i(y))``."""
    return ctx.compress(ctx.grad(y)), work


@batchable
def send_direction_sum(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                       ) -> tuple[State, State]:
    """LOCAL_STATE: the sum of the round's directions (its bits were counted step by step)."""
    return {"d": direction_sum(ctx, x, y, work)}, {}


def mean_direction(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: the weighted mean of the clients' D_i."""
    return agg["d"]


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """``1 / (L + 2 L_max omega / S)`` for both flags."""
    return StepSizes(1.0 / (setting.L + 2.0 * setting.L_max * setting.omega
                            / setting.clients_per_round))


DCGD = register_algorithm(Algorithm(
    name="dcgd", summary="compressed gradients averaged by the server",
    paper="Khirirat et al., 2018", local_gradient=summing(compressed_gradient),
    local_state=send_direction_sum, server_gradient=mean_direction, step_size=step_size,
))
