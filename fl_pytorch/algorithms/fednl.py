"""FedNL: Newton steps with Hessians learned through compressed differences, full participation.

Safaryan, Islamov, Qian and Richtarik, ICML 2022, "FedNL: Making Newton-Type Methods Applicable
to Federated Learning", arXiv:2106.02969, Algorithm 1; compute-optimized as uFedNL (Burlachenko
and Richtarik 2024, arXiv:2410.08760), whose conventions are kept.

Client i holds a learned Hessian H_i (its client state, the D = d(d+1)/2 upper-triangle entries
of a symmetric matrix); the server holds ``H = sum_i w_i H_i``. Round k at x = x^k:

* LOCAL_STATE (lines 5-7), returning the message and the new H_i: ``g_i = grad f_i(x)``
  (sent, d values), ``S_i = C(hess f_i(x) - H_i)``
  (the matrix compressor ``compressor``; its bits), ``l_i = ||H_i - hess f_i(x)||_F`` (sent with
  option 2, one value), and ``H_i <- H_i + alpha S_i``;
* SERVER_GRADIENT (lines 10-13): ``H <- H + alpha sum w_i S_i`` and the Newton direction
  ``[H]_mu^-1 g`` (option 1: eigenvalues raised to mu) or ``[H + l I]^-1 g`` (option 2, ``l =
  sum w_i l_i``); SERVER_OPT: ``x - lr direction`` (``--global-lr 1``, the default, is FedNL's
  step); SERVER_GLOBAL_STATE keeps H.

As in uFedNL, the step uses the Hessian learned in this round (the paper writes H^k, before the
update); with the identity compressor and alpha = 1 the step is then exactly Newton's (option
1). ``init:hessian`` (default) starts each H_i at ``hess f_i(x0)``: in round 0 every client
uploads it in full (D values, counted) and the server takes a Newton step. Metrics:
``hessian_error``, the round's ``sum w_i l_i``, and ``grad_norm``, the norm of the round's
aggregated gradient (at the model the round started from; the server has it). A batched form of
LOCAL_STATE for all clients at once (``fednl_batched.py``) runs under
``--threadpool-for-local-opt auto``.
"""

from __future__ import annotations

from ..compressors.matrix import Packed, pack, upper_size
from ..core.algorithm import Algorithm, State, Tensor, Work
from ..core.context import ClientContext, ServerContext
from .fednl_batched import batched_runner
from .registry import register_algorithm
from .second_order import (
    ALPHA_OPTION,
    COMPRESSOR_OPTION,
    INIT_OPTION,
    METRICS,
    MU_OPTION,
    OPTION_OPTION,
    check_hessian_oracle,
    newton_direction,
    resolve,
)


def init_learned(client_id: int, x0: Tensor) -> State:
    """A client's learned Hessian H_i (its packed upper triangle), zero before round 0."""
    return {"H": x0.new_zeros(upper_size(x0.numel()))}


def init_server(x0: Tensor, ctx: ServerContext) -> State:
    """The server's H = sum_i w_i H_i."""
    return {"H": x0.new_zeros(upper_size(x0.numel()))}


def initializing(ctx: ClientContext | ServerContext) -> bool:
    """Round 0 with ``init:hessian``: clients upload their Hessians instead of differences."""
    return ctx.round == 0 and ctx.options["init"] == "hessian"


def local_hessian(ctx: ClientContext, x: Tensor) -> Tensor:
    """The client's exact Hessian at x, packed (D,)."""
    return pack(ctx.oracle.hessian(x, ctx.inputs, ctx.targets))


def learn_hessian(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                  ) -> tuple[State, State]:
    """LOCAL_STATE of FedNL (and FedNL-LS): gradient, compressed Hessian difference, l_i."""
    g, hess = ctx.full_grad(x), local_hessian(ctx, x)
    if initializing(ctx):
        return {"g": ctx.send(g), "S": ctx.send(hess), "l": hess.new_zeros(())}, {"H": hess}
    diff = Packed.dense(hess - ctx.state["H"], x.numel())
    error = diff.frobenius_sq()[0].sqrt()
    sent = compress(ctx, diff)
    message = {"g": ctx.send(g), "S": sent,
               "l": ctx.send(error) if ctx.options.get("option") == "2" else error}
    return message, {"H": ctx.state["H"] + ctx.options["alpha"] * sent}


def compress(ctx: ClientContext, diff: Packed) -> Tensor:
    """The client's compressed Hessian difference (D,), its bits counted."""
    message = ctx.options["compressor"].compress(diff, [ctx.generator])
    ctx.count_bits(int(message.bits[0]))
    return message.dense(diff.values)[0]


def learned_hessian(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """The server's H after this round: the mean upload in round 0, else H + alpha mean S."""
    if initializing(ctx):
        return agg["S"]
    return h["H"] + ctx.options["alpha"] * agg["S"]


def newton_step(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: the direction of option 1 or 2 with the updated Hessian."""
    ctx.metrics.update(hessian_error=float(agg["l"]), grad_norm=float(agg["g"].norm()))
    upper = learned_hessian(agg, h, ctx)
    if ctx.options["option"] == "1":
        return newton_direction(upper, agg["g"], mu=ctx.options["mu"])
    return newton_direction(upper, agg["g"], shift=float(agg["l"]))


def keep_hessian(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: keep the learned H."""
    return {"H": learned_hessian(agg, h, ctx)}


FEDNL_OPTIONS = {"compressor": COMPRESSOR_OPTION, "alpha": ALPHA_OPTION, "option": OPTION_OPTION,
                 "init": INIT_OPTION, "mu": MU_OPTION}

FEDNL = register_algorithm(Algorithm(
    name="fednl", summary="Newton steps with Hessians learned from compressed differences "
    "(matrix compressor: --algorithm-options compressor:SPEC)",
    paper="Safaryan et al., ICML 2022; uFedNL, Burlachenko and Richtarik 2024",
    local_steps=False, options=FEDNL_OPTIONS, init_server_state=init_server,
    init_client_state=init_learned, local_state=learn_hessian, server_gradient=newton_step,
    server_global_state=keep_hessian, compressor_kind="none", full_participation=True,
    resolve_options=resolve,
    extra={"check_setup": check_hessian_oracle, "metrics": METRICS,
           "batched": batched_runner("fednl"),
           "uplink_note": "which compresses Hessian differences with a matrix compressor given "
                          "as --algorithm-options compressor:SPEC"},
))
