"""The algorithm record: the eight hooks of generalized FedAvg (paper, Algorithm 1).

An algorithm is a frozen record of plain functions. A variant is FedAvg with some hooks replaced
(``dataclasses.replace(FEDAVG, name=..., local_gradient=...)``), never a subclass chain::

    H = INIT_SERVER_STATE(x0)
    for t in rounds:
        S = sample clients;  s = CLIENT_STATE(H)
        for i in S:                                   # executor: any order, any thread
            y = x
            for k in range(K):  g = LOCAL_GRADIENT(y);  y = CLIENT_OPT(y, g, k)
            U_i = LOCAL_STATE(x, y)                   # message, compressed; bits counted
        A = weighted mean of U_i over S              # client-id order
        G = SERVER_GRADIENT(A, H);  x = SERVER_OPT(x, G);  H = SERVER_GLOBAL_STATE(A, H)

Hooks are typed (``core/hooks.py``) and return what they produce: LOCAL_GRADIENT takes and
returns the client's work state of the round (it starts as the client's stored state), LOCAL_STATE
returns the message and the updates of the stored state. Every algorithm runs the local loop. For
the gradient methods (DCGD, DIANA, MARINA, EF21, COFIG, FRECON and their variants) LOCAL_GRADIENT
is the method's per-step direction d^k (compressed, with its per-step state updates and bits),
wrapped by :func:`summing` to keep ``D = sum_k d^k`` (:func:`direction_sum`), and SERVER_GRADIENT
uses the mean of D where the one-step method uses the mean message: with ``-li 1`` each is
exactly its paper's method, with K local steps it is the original FL_PyTorch's local-step version
(docs/algorithms.md). Algorithms with ``local_steps=False`` (PAGE) take exactly one step per round
and refuse ``-li`` > 1; ``draws_round_length`` ones (GradSkip) set the round's local steps in
CLIENT_STATE (a :class:`~fl_pytorch.core.hooks.RoundStart`) and refuse ``-li`` too. CLIENT_STATE
may also widen the round's participants (PP-MARINA's synchronization rounds gather every client).

Besides the hooks, the record declares what the algorithm requires (checked at setup by
``engine/compat.py``): the compressor family it accepts, whether every client must take part in
every round, a fixed server optimizer (the FedOpt family), and, where its paper gives one, the
theoretical step size (``core/theory.py``) selected by ``--algorithm-options th_stepsize_cvx``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from .algorithm_options import AlgoOption
from .batchable import batchable, is_batchable
from .context import ClientContext, ServerContext
from .hooks import (
    ClientOpt,
    ClientStateHook,
    InitClientState,
    InitServerState,
    LocalGradient,
    LocalState,
    RoundStart,
    ServerGlobalState,
    ServerGradient,
    ServerOpt,
    State,
    Tensor,
    Work,
)
from .optim import PlainSGD
from .theory import Setting, StepSizes

__all__ = ["Algorithm", "RoundStart", "State", "Tensor", "Work", "batchable", "broadcast_nothing",
           "direction_sum", "keep_state", "minus_mean_delta", "no_client_state", "no_state",
           "optimizer_step", "plain_gradient", "send_model_delta", "server_optimizer_step",
           "summing", "zero_client_state", "zero_server_state"]


def no_state(x0: Tensor, ctx: ServerContext) -> State:
    """INIT_SERVER_STATE / SERVER_GLOBAL_STATE that keeps nothing."""
    return {}


def no_client_state(client_id: int, x0: Tensor) -> State:
    """A client that stores nothing."""
    return {}


def zero_server_state(*keys: str) -> InitServerState:
    """INIT_SERVER_STATE with a zero vector (the model's shape) under each key."""
    return lambda x0, ctx: {k: torch.zeros_like(x0) for k in keys}


def zero_client_state(*keys: str) -> InitClientState:
    """Client-state initializer with a zero vector (the model's shape) under each key."""
    return lambda client_id, x0: {k: torch.zeros_like(x0) for k in keys}


def broadcast_nothing(h: State, ctx: ServerContext) -> dict[str, object]:
    """CLIENT_STATE: the server sends only the model."""
    return {}


@batchable
def plain_gradient(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: the configured stochastic gradient of f_i at y."""
    return ctx.grad(y), work


@batchable
def optimizer_step(ctx: ClientContext, y: Tensor, g: Tensor, k: int) -> Tensor:
    """CLIENT_OPT: one step of the configured local torch.optim optimizer."""
    if isinstance(ctx.optimizer, PlainSGD):  # its step without the .grad round trip
        return ctx.optimizer.step_along(y, g)
    y.grad = g
    ctx.optimizer.step()
    return y


def summing(hook: LocalGradient) -> LocalGradient:
    """``hook`` that also keeps the sum of its directions, ``D = sum_k d^k``, in ``work``."""
    def summed(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
        g, work = hook(ctx, y, work)
        total = work.get("D")
        return g, {**work, "D": g.clone() if total is None else total + g}
    summed.__doc__ = hook.__doc__
    return batchable(summed) if is_batchable(hook) else summed


def direction_sum(ctx: ClientContext, x: Tensor, y: Tensor, work: Work) -> Tensor:
    """``D = sum_k d^k``, the sum of the round's local directions, ``= (x - y) / lr``.

    Summed exactly when the local optimizer is plain SGD (then ``y = x - lr D``); otherwise the
    model change divided by the round's local learning rate (the optimizer's own directions).
    """
    if isinstance(ctx.optimizer, PlainSGD):
        return work["D"]
    return (x - y) / ctx.lr


@batchable
def send_model_delta(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                     ) -> tuple[State, State]:
    """LOCAL_STATE: send the compressed model change ``y - x``."""
    return {"delta": ctx.compress(y - x)}, {}


def minus_mean_delta(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: the direction to subtract is minus the mean model change."""
    return -agg["delta"]


def server_optimizer_step(x: Tensor, g: Tensor, ctx: ServerContext) -> Tensor:
    """SERVER_OPT: one step of the configured server torch.optim optimizer on G."""
    x.grad = g
    ctx.optimizer.step()
    return x


def keep_state(agg: State, h: State, ctx: ServerContext) -> State:
    """SERVER_GLOBAL_STATE that keeps H unchanged."""
    return h


@dataclass(frozen=True)
class Algorithm:
    """The hooks of one FL algorithm plus its options and documentation."""

    name: str
    summary: str
    paper: str
    local_steps: bool = True
    #: CLIENT_STATE sets each round's number of local steps (GradSkip); ``-li`` is refused
    draws_round_length: bool = False
    options: dict[str, AlgoOption] = field(default_factory=dict)
    init_server_state: InitServerState = no_state
    init_client_state: InitClientState = no_client_state
    client_state: ClientStateHook = broadcast_nothing
    local_gradient: LocalGradient = plain_gradient
    client_opt: ClientOpt = optimizer_step
    local_state: LocalState = send_model_delta
    server_gradient: ServerGradient = minus_mean_delta
    server_opt: ServerOpt = server_optimizer_step
    server_global_state: ServerGlobalState = keep_state
    extra: dict[str, Any] = field(default_factory=dict)
    #: compressors accepted on the uplink: 'unbiased' (E C(x) = x, omega), 'contractive'
    #: (alpha; an unbiased C is used as C/(omega+1)), 'any', or 'none' (sends uncompressed:
    #: only ``ident``)
    compressor_kind: str = "any"
    #: True when every client must take part in every round (DIANA, MARINA, EF21, ...)
    full_participation: bool = False
    #: the FedOpt family fixes the server optimizer (an entry of config.OPTIMISERS)
    server_optimiser: str | None = None
    #: ``step_size(setting, options, convex)``: the paper's step sizes (th_stepsize_cvx/noncvx)
    step_size: Callable[[Setting, dict[str, Any], bool], StepSizes] | None = None
    #: ``resolve_options(options, setting)``: option defaults that depend on the problem or the
    #: compressor (e.g. PP-MARINA's p), filled in once at setup
    resolve_options: Callable[[dict[str, Any], Setting], dict[str, Any]] | None = None
    #: keys of the client / server states that are shifts, initialized by
    #: ``--initialize-shifts-policy`` (zero, or the full gradient at x0 as the original tool)
    client_shifts: tuple[str, ...] = ()
    server_shifts: tuple[str, ...] = ()

    HOOKS = ("init_server_state", "client_state", "local_gradient", "client_opt", "local_state",
             "server_gradient", "server_opt", "server_global_state")
