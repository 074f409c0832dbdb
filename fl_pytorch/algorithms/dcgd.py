"""DCGD: distributed compressed gradient descent (no local steps).

Khirirat, Feyzmahdavian and Johansson, 2018, "Distributed learning with compressed gradients",
arXiv:1806.06573. LOCAL_STATE sends ``C(g_i(x))``; SERVER_GRADIENT is their weighted mean;
SERVER_OPT is ``x - lr_g G``. With an unbiased compressor and heterogeneous clients it converges
only to a neighbourhood of x* (the compression noise does not vanish, since g_i(x*) != 0); with a
contractive one (top-k) its fixed point is not x* at all (EF21 fixes both).

Theoretical step size (unbiased compressors; the expected-smoothness step size of the original
FL_PyTorch, after Horvath et al. 2019, arXiv:1905.10988, with an uncompressed downlink):
``1 / (L + 2 L_max omega / S)``, S the expected clients per round; the same for
``th_stepsize_cvx`` and ``th_stepsize_noncvx``.
"""

from ..core.algorithm import Algorithm
from ..core.theory import Setting, StepSizes
from .registry import register_algorithm


def send_compressed_gradient(ctx, x, y):
    return {"g": ctx.compress(ctx.grad(x))}


def mean_gradient(agg, h, ctx):
    return agg["g"]


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    return StepSizes(1.0 / (setting.L + 2.0 * setting.L_max * setting.omega
                            / setting.clients_per_round))


DCGD = register_algorithm(Algorithm(
    name="dcgd", summary="compressed gradients averaged by the server (no local steps)",
    paper="Khirirat et al., 2018", local_steps=False,
    local_state=send_compressed_gradient, server_gradient=mean_gradient, step_size=step_size,
))
