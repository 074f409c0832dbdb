"""DCGD, distributed compressed gradient descent (Khirirat et al., 2018, "Distributed learning
with compressed gradients").

No local steps. LOCAL_STATE sends ``C(g_i(x))``; SERVER_GRADIENT is their weighted mean;
SERVER_OPT is ``x - lr_g G``. With an unbiased compressor and heterogeneous clients it converges
only to a neighbourhood of x* (the compression noise does not vanish, since g_i(x*) != 0).
"""

from ..core.algorithm import Algorithm
from .registry import register_algorithm


def send_compressed_gradient(ctx, x, y):
    return {"g": ctx.compress(ctx.grad(x))}


def mean_gradient(agg, h, ctx):
    return agg["g"]


DCGD = register_algorithm(Algorithm(
    name="dcgd", summary="compressed gradients averaged by the server (no local steps)",
    paper="Khirirat et al., 2018", local_steps=False,
    local_state=send_compressed_gradient, server_gradient=mean_gradient,
))
