"""FedNL-PP: FedNL with partial participation.

Safaryan, Islamov, Qian and Richtarik, ICML 2022, arXiv:2106.02969, Algorithm 3. Client i keeps
its learned Hessian H_i, ``l_i = ||H_i - hess f_i(w_i)||_F`` and
``g_i = (H_i + l_i I) w_i - grad f_i(w_i)`` at the last model w_i it saw; the server keeps
``H = sum w_i H_i``, ``l = sum w_i l_i`` and ``g = sum w_i g_i`` over all clients, and
``x^{k+1} = (H + l I)^-1 g``:

* CLIENT_STATE: the first round with clients gathers every client (line 1: every H_i, l_i,
  g_i at x^0), flagged by one broadcast bit;
* LOCAL_STATE (lines 7-11): at w_i = x, ``S_i = C(hess f_i(x) - H_i)``, ``H_i <- H_i + alpha S_i``,
  new l_i and g_i; send S_i and the changes of l_i and g_i (round 0: H_i in full with
  ``init:hessian``, l_i and g_i, in the initialization round);
* SERVER_GRADIENT (lines 13-15, then line 3 of the next iteration): update H, l, g with
  ``sum_S w_i`` times the mean messages, and return ``x - (H + l I)^-1 g``; SERVER_OPT
  ``x - lr G`` is then ``(H + l I)^-1 g`` with ``--global-lr 1``; SERVER_GLOBAL_STATE keeps them.

Metric ``hessian_error``: the server's l after the round.
"""

from __future__ import annotations

import torch

from ..compressors.matrix import Packed, unpack, upper_size
from ..core.algorithm import Algorithm, RoundStart, State, Work
from ..core.context import ClientContext, ServerContext
from .fednl import compress, local_hessian
from .fednl_batched import batched_runner
from .registry import register_algorithm
from .second_order import (
    ALPHA_OPTION,
    COMPRESSOR_OPTION,
    INIT_OPTION,
    check_hessian_oracle,
    newton_direction,
    resolve,
)


def zero_state(x0: torch.Tensor) -> State:
    """Zero learned Hessian, error and shift (a client's, or the server's sums)."""
    return {"H": x0.new_zeros(upper_size(x0.numel())), "l": x0.new_zeros(()),
            "g": torch.zeros_like(x0)}


def init_server(x0: torch.Tensor, ctx: ServerContext) -> State:
    """The server's sums over all clients, and whether they are initialized."""
    return {**zero_state(x0), "ready": x0.new_zeros(())}


def gather_all_first(h: State, ctx: ServerContext) -> RoundStart | dict[str, object]:
    """CLIENT_STATE: the first round with clients takes every client and initializes."""
    if not bool(h["ready"]):
        return RoundStart({"init": True}, participants=list(range(ctx.num_clients)))
    return {"init": False}


def learn(ctx: ClientContext, x: torch.Tensor, y: torch.Tensor, work: Work
          ) -> tuple[State, State]:
    """LOCAL_STATE of FedNL-PP at w_i = x."""
    d, g, hess = x.numel(), ctx.full_grad(x), local_hessian(ctx, x)
    if ctx.broadcast["init"]:
        start = ctx.options["init"] == "hessian"
        learned = hess if start else torch.zeros_like(hess)
        sent = ctx.send(learned) if start else learned
    else:
        sent = compress(ctx, Packed.dense(hess - ctx.state["H"], d))
        learned = ctx.state["H"] + ctx.options["alpha"] * sent
    error = Packed.dense(learned - hess, d).frobenius_sq()[0].clamp(min=0.0).sqrt()
    shift = unpack(learned, d) @ x + error * x - g
    updates = {"H": learned, "l": error, "g": shift}
    if ctx.broadcast["init"]:
        return {"S": sent, "l": ctx.send(error), "g": ctx.send(shift)}, updates
    return {"S": sent, "l": ctx.send(error - ctx.state["l"]),
            "g": ctx.send(shift - ctx.state["g"])}, updates


def updated(agg: State, h: State, ctx: ServerContext) -> State:
    """The server's H, l, g after the round (sums over all clients)."""
    share = ctx.participation_weight
    rate = 1.0 if ctx.broadcast["init"] else ctx.options["alpha"]
    return {"H": h["H"] + rate * share * agg["S"], "l": h["l"] + share * agg["l"],
            "g": h["g"] + share * agg["g"], "ready": torch.ones_like(h["ready"])}


def next_model(agg: State, h: State, ctx: ServerContext) -> torch.Tensor:
    """SERVER_GRADIENT: ``x - (H + l I)^-1 g`` with the updated sums."""
    new = updated(agg, h, ctx)
    ctx.metrics["hessian_error"] = float(new["l"])
    return ctx.x - newton_direction(new["H"], new["g"], shift=float(new["l"]))


FEDNL_PP = register_algorithm(Algorithm(
    name="fednl-pp", summary="FedNL with partial participation (the first round gathers every "
    "client)",
    paper="Safaryan et al., ICML 2022, Alg. 3; uFedNL, Burlachenko and Richtarik 2024",
    local_steps=False,
    options={"compressor": COMPRESSOR_OPTION, "alpha": ALPHA_OPTION, "init": INIT_OPTION},
    init_server_state=init_server,
    init_client_state=lambda client_id, x0: zero_state(x0), client_state=gather_all_first,
    local_state=learn, server_gradient=next_model, server_global_state=updated,
    compressor_kind="none", resolve_options=resolve,
    extra={"check_setup": check_hessian_oracle, "metrics": ("hessian_error",),
           "batched": batched_runner("fednl-pp"),
           "uplink_note": "which compresses Hessian differences with a matrix compressor given "
                          "as --algorithm-options compressor:SPEC"},
))
