"""PAGE: the probabilistic gradient estimator on the clients' finite sums, full participation.

Li, Bao, Zhang and Richtarik, ICML 2021, "PAGE: A Simple and Optimal Probabilistic Gradient
Estimator for Nonconvex Optimization", arXiv:2008.10898, Algorithm 1.

A coin c_t ~ Bernoulli(p) shared by all clients switches between a large batch and a minibatch:

* CLIENT_STATE (line 5): draw c_t (the first round always takes the large batch);
* LOCAL_STATE (line 5): c_t = 1: send the full local gradient ``grad f_i(x)``; c_t = 0: send
  ``grad f_{i,I}(x) - grad f_{i,I}(x_prev)`` on one minibatch I of the ``internal_sgd`` estimator
  (e.g. ``internal_sgd:sgd`` with ``-b``), the same I at both points; keep x as x_prev (every client
  saw it: full participation). Messages are uncompressed;
* SERVER_GRADIENT (line 5): ``mean`` if c_t else ``g + mean``; SERVER_OPT (line 3): ``x - lr g``;
  SERVER_GLOBAL_STATE keeps G as g.

``p`` defaults to the paper's ``b' / (b + b')``, with b' the minibatch and b the full local batch,
averaged over the clients. The paper's step size ``1 / (L (1 + sqrt((1-p)/(p b'))))`` needs the
average smoothness L of the individual samples, which datasets do not expose, so PAGE has no
``th_stepsize`` option; use ``--global-lr``.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core.algorithm import Algorithm, State, Tensor, Work, batchable, zero_server_state
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting
from .marina import estimator
from .registry import register_algorithm


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Default ``p = b' / (b + b')`` averaged over the clients."""
    if options["p"] is not None:
        return options
    ratios = [b / (b + n) for b, n in zip(setting.batch_sizes, setting.samples_per_client)]
    return {**options, "p": sum(ratios) / len(ratios)}


init_server = zero_server_state("g")


def draw_coin(h: State, ctx: ServerContext) -> dict[str, object]:
    """CLIENT_STATE: the shared coin (the first round takes the large batch)."""
    coin = torch.rand((), generator=ctx.generator, dtype=torch.float64).item() < ctx.options["p"]
    return {"full": ctx.round == 0 or coin}


@batchable
def send_gradient_or_minibatch_difference(ctx: ClientContext, x: Tensor, y: Tensor,
                                          work: Work) -> tuple[State, State]:
    """LOCAL_STATE: the full local gradient, or a minibatch difference at x and x_prev."""
    if ctx.broadcast["full"]:
        return {"d": ctx.send(ctx.full_grad(x))}, {"x_prev": x}
    return {"d": ctx.send(ctx.grad(x) - ctx.grad(ctx.state["x_prev"]))}, {"x_prev": x}


def keep_estimator(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: G as g."""
    return {"g": ctx.direction}


PAGE = register_algorithm(Algorithm(
    name="page", summary="probabilistic switch between full local gradients and minibatch "
    "gradient differences", paper="Li, Bao, Zhang, Richtarik, ICML 2021", local_steps=False,
    options={"p": AlgoOption(fraction("p"), None, "probability of a full-batch round (default "
                             "b'/(b+b'), minibatch b' and local samples b)")},
    init_server_state=init_server, client_state=draw_coin,
    local_state=send_gradient_or_minibatch_difference, server_gradient=estimator,
    server_global_state=keep_estimator, compressor_kind="none", full_participation=True,
    resolve_options=resolve,
))
