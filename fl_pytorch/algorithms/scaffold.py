"""SCAFFOLD (Karimireddy et al., 2020, "SCAFFOLD: Stochastic Controlled Averaging for FL").

Paper Algorithm 1 with control variates c (server) and c_i (client), option II:
* CLIENT_STATE: broadcast c;
* LOCAL_GRADIENT: ``g_i(y) - c_i + c`` (line 10);
* LOCAL_STATE: ``c_i+ = c_i - c + (x - y) / (K lr)`` (line 12, option II), send ``dy = y - x`` and
  ``dc = c_i+ - c_i`` (line 13), each through the uplink compressor C unless ``compress`` says
  otherwise (``both``, the default; ``model``: only dy; ``control``: only dc);
* SERVER_GRADIENT: ``-mean(dy)``, so SERVER_OPT is ``x + lr_g mean(dy)`` (line 16);
* SERVER_GLOBAL_STATE: ``c + |S|/N mean(dc)`` (line 17).

``variant`` chooses how the control variates move (docs/algorithms.md, "Compressed SCAFFOLD"):

* ``option2`` (default, the paper's): the client stores the exact c_i+. With a compressed dc the
  server's c stops being the mean of the c_i and every point where c reaches 0 is a fixed point:
  compressed SCAFFOLD stalls away from x*.
* ``damped``: the client stores ``c_i + a C(dc)`` and the server adds ``a |S|/N mean C(dc)``, so
  ``c = mean c_i`` holds exactly; ``cv_rate`` a defaults to ``1 / (1 + omega)`` (DIANA's shift
  rate, omega of the compressor on dc), and the method converges linearly to x*.
* ``original_tool``: the original FL_PyTorch's SCAFFOLD, which the paper's section 4.1 measured:
  c_i is never stored (always 0) and ``dc = c_i+ - c`` with c_i+ the gradient at x of the first
  local step (option I).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..compressors.identity import Identity
from ..core.algorithm import State, Tensor, Work, batchable, zero_client_state, zero_server_state
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting
from ..errors import ConfigError
from .fedavg import FEDAVG
from .registry import register_algorithm

VARIANTS = ("option2", "damped", "original_tool")
COMPRESS = ("both", "model", "control")


def _choice(name: str, valid: tuple[str, ...]) -> Any:
    def parse(v: str) -> str:
        if v not in valid:
            raise ValueError(f"{name} must be one of {', '.join(valid)}")
        return v
    return parse


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Default cv_rate of variant:damped: 1/(1 + omega) of the compressor that dc goes through."""
    rate, variant = options["cv_rate"], options["variant"]
    if rate is not None and variant != "damped":
        raise ConfigError(f"--algorithm-options: cv_rate is the rate of variant:damped, and "
                          f"variant is {variant!r}; valid: add variant:damped")
    if variant != "damped" or rate is not None:
        return options
    if options["compress"] == "model" or isinstance(setting.uplink, Identity):
        return {**options, "cv_rate": 1.0}
    if not setting.uplink.unbiased:
        raise ConfigError(f"--algorithm-options: variant:damped needs cv_rate:A when "
                          f"--client-compressor {setting.uplink.spec!r} is contractive (its "
                          "default 1/(1+omega) needs an unbiased compressor); valid: cv_rate:A "
                          "with 0 < A <= 1, or an unbiased compressor")
    return {**options, "cv_rate": 1.0 / (1.0 + setting.omega)}


def broadcast_c(h: State, ctx: ServerContext) -> dict[str, object]:
    """CLIENT_STATE: the server's control variate c."""
    return {"c": h["c"]}


@batchable
def corrected_gradient(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: ``g_i(y) - c_i + c`` (the original tool's first step also keeps dc)."""
    g = ctx.grad(y)
    if ctx.options["variant"] == "original_tool" and ctx.step == 0:
        work = {**work, "dc": g - ctx.broadcast["c"]}
    return g - ctx.state["c_i"] + ctx.broadcast["c"], work


def _through(ctx: ClientContext, t: Tensor, which: str) -> Tensor:
    """``t`` through the uplink compressor, or uncompressed (bits counted either way)."""
    mode = ctx.options["compress"]
    if mode == "both" or mode == which or isinstance(ctx.uplink, Identity):
        return ctx.compress(t)
    return ctx.send(t)


@batchable
def send_delta_and_control(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                           ) -> tuple[State, State]:
    """LOCAL_STATE: compressed dy and dc; the new c_i as the variant says."""
    c_i, variant = ctx.state["c_i"], ctx.options["variant"]
    updates: State = {}
    if variant == "original_tool":
        dc = _through(ctx, work["dc"], "control")
    else:
        c_plus = c_i - ctx.broadcast["c"] + (x - y) / (ctx.steps * ctx.lr)
        dc = _through(ctx, c_plus - c_i, "control")
        updates["c_i"] = c_plus if variant == "option2" else c_i + ctx.options["cv_rate"] * dc
    return {"delta": _through(ctx, y - x, "model"), "dc": dc}, updates


def update_c(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE: ``c + |S|/N mean(dc)`` (times cv_rate when damped)."""
    rate = ctx.options["cv_rate"] if ctx.options["variant"] == "damped" else 1.0
    return {"c": h["c"] + (rate * ctx.n_participants / ctx.num_clients) * agg["dc"]}


SCAFFOLD = register_algorithm(dataclasses.replace(
    FEDAVG, name="scaffold", summary="FedAvg with control variates correcting client drift",
    paper="Karimireddy et al., ICML 2020",
    options={"variant": AlgoOption(_choice("variant", VARIANTS), "option2",
                                   "control-variate update: option2 (the paper's), damped "
                                   "(c_i += a C(dc), keeps c = mean c_i), original_tool (the "
                                   "original FL_PyTorch's, c_i never stored)"),
             "compress": AlgoOption(_choice("compress", COMPRESS), "both",
                                    "messages through the uplink compressor: both, model "
                                    "(only y - x) or control (only dc)"),
             "cv_rate": AlgoOption(fraction("cv_rate"), None,
                                   "rate a of variant:damped (default 1/(1+omega))")},
    init_server_state=zero_server_state("c"), init_client_state=zero_client_state("c_i"),
    client_state=broadcast_c, local_gradient=corrected_gradient,
    local_state=send_delta_and_control, server_global_state=update_c, resolve_options=resolve,
))
