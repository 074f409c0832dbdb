"""The eight hooks of generalized FedAvg as typed callables (``typing.Protocol``).

Every hook returns what it produces and writes nowhere: the round's client work state ``work``
goes in and comes out of LOCAL_GRADIENT, LOCAL_STATE returns the message and the updates of the
client's stored state, CLIENT_STATE returns the broadcast (or a :class:`RoundStart` that also sets
the round's participants or local steps). The contexts only give read-only facts and the
counting services (``ctx.grad``, ``ctx.compress``, ``ctx.send``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import torch

from .context import ClientContext, ServerContext

Tensor = torch.Tensor
State = dict[str, Tensor]
#: what a client keeps between its local steps in one round (starts as its stored state)
Work = dict[str, object]


@dataclass
class RoundStart:
    """CLIENT_STATE's result when it does more than broadcast.

    ``participants``: the round's clients instead of the sampled ones (PP-MARINA's
    synchronization rounds take every client); ``local_steps``: every client's number of local
    steps this round (GradSkip draws it).
    """

    broadcast: dict[str, object] = field(default_factory=dict)
    participants: list[int] | None = None
    local_steps: int | None = None


class InitServerState(Protocol):
    """INIT_SERVER_STATE: ``H = f(x0)``."""

    def __call__(self, x0: Tensor, ctx: ServerContext) -> State: ...


class InitClientState(Protocol):
    """A client's stored state before its first round."""

    def __call__(self, client_id: int, x0: Tensor) -> State: ...


class ClientStateHook(Protocol):
    """CLIENT_STATE: what the server broadcasts with x this round."""

    def __call__(self, h: State, ctx: ServerContext) -> dict[str, object] | RoundStart: ...


class LocalGradient(Protocol):
    """LOCAL_GRADIENT: the direction at the local iterate y, and the client's new work state."""

    def __call__(self, ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]: ...


class ClientOpt(Protocol):
    """CLIENT_OPT: the local iterate after step ``k`` along ``g``."""

    def __call__(self, ctx: ClientContext, y: Tensor, g: Tensor, k: int) -> Tensor: ...


class LocalState(Protocol):
    """LOCAL_STATE: (the message to the server, the updates of the client's stored state)."""

    def __call__(self, ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                 ) -> tuple[State, State]: ...


class ServerGradient(Protocol):
    """SERVER_GRADIENT: the direction G from the aggregated messages and H."""

    def __call__(self, agg: State, h: State, ctx: ServerContext) -> Tensor: ...


class ServerOpt(Protocol):
    """SERVER_OPT: the new model from x and G."""

    def __call__(self, x: Tensor, g: Tensor, ctx: ServerContext) -> Tensor: ...


class ServerGlobalState(Protocol):
    """SERVER_GLOBAL_STATE: the new H from the aggregated messages and H."""

    def __call__(self, agg: State, h: State, ctx: ServerContext) -> State: ...
