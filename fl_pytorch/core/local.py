"""One client's work in one round.

The local loop of Algorithm 1 (LOCAL_GRADIENT, CLIENT_OPT, LOCAL_STATE), run by whichever
executor the engine uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ..execution.base import is_round_executor
from ..execution.worker import map_tensors
from ..utils.rng import generator as stream
from .batches import client_plan
from .client_state import ClientStateStore
from .context import ClientContext
from .optim import build_optimizer


@dataclass
class RoundPlan:
    """What every client of a round shares (read-only for the clients)."""

    round: int
    x: torch.Tensor
    broadcast: dict[str, Any]
    local_lr: float
    local_steps: int | None = None  # set by CLIENT_STATE (GradSkip); None: -li of the config
    buffers: torch.Tensor | None = None  # the server's batch-norm statistics (None: no buffers)

    def to(self, device: torch.device) -> RoundPlan:
        """The plan with every tensor on ``device`` (itself when ``x`` is there already)."""
        if self.x.device == device:
            return self
        return map_tensors(self, lambda t: t.to(device))


@dataclass
class ClientResult:
    """A client's output: its message, its new persistent state and its counters."""

    client_id: int
    message: dict[str, torch.Tensor]
    new_state: dict[str, torch.Tensor]
    bits_up: int
    oracle_full: int
    oracle_samples: int
    buffers: torch.Tensor | None = None  # the client's batch-norm statistics after its steps
    #: message and buffers already hold a remote worker's sum of (w_j / W) m_j over its clients
    #: of the round (--remote-messages summed); that worker's other results carry no message
    summed: bool = False


@dataclass
class BatchResult:
    """The results of several clients at once (the vectorized executor).

    :class:`ClientResult`'s fields with a leading client dimension, row ``j`` belonging to
    ``client_ids[j]``: messages and buffers as ``[clients, ...]`` stacks, the new states as
    stacks or per-client lists (``core/client_state.py:Stacked``), the counters as int64 CPU
    tensors.
    """

    client_ids: list[int]
    message: dict[str, torch.Tensor]
    new_state: dict[str, Any]
    bits_up: torch.Tensor
    oracle_full: torch.Tensor
    oracle_samples: torch.Tensor
    buffers: torch.Tensor | None = None

    def split(self) -> list[ClientResult]:
        """The same results as one :class:`ClientResult` per client."""
        return [ClientResult(i, {k: v[j] for k, v in self.message.items()},
                             {k: v[j] for k, v in self.new_state.items() if v[j] is not None},
                             int(self.bits_up[j]), int(self.oracle_full[j]),
                             int(self.oracle_samples[j]),
                             None if self.buffers is None else self.buffers[j])
                for j, i in enumerate(self.client_ids)]


def client_results(results: list[ClientResult | BatchResult]) -> list[ClientResult]:
    """``results`` with every batch split into its clients' results."""
    return [r for block in results
            for r in (block.split() if isinstance(block, BatchResult) else [block])]


class HookError(RuntimeError):
    """An exception raised inside an algorithm hook, tagged with round, client and hook."""


class RoundAborted(RuntimeError):
    """Not every client of the round could run (a remote worker failed).

    The run's state is still that of the last completed round. ``resumable``: the engine holds
    every client's state, so a checkpoint of the last completed round is complete.
    """

    def __init__(self, message: str, resumable: bool):
        super().__init__(message)
        self.resumable = resumable


def run_round(executor: Any, store: ClientStateStore, plan: RoundPlan,
              client_ids: list[int]) -> list[ClientResult | BatchResult]:
    """The results of the round's clients, in the order of ``client_ids``.

    A round executor (remote workers, the vectorized executor) receives the plan itself, since a
    closure cannot travel (and a batch needs every client at once); its results may be batches.
    Any other executor maps :func:`run_client`.
    """
    if is_round_executor(executor):
        return executor.run_round(plan, client_ids, store)
    return executor.map(lambda i, view: run_client(view, store, plan, i), client_ids)


def collect_states(executor: Any, store: ClientStateStore) -> None:
    """Bring the client states that a round executor keeps elsewhere into ``store``."""
    if is_round_executor(executor):
        executor.collect_states(store)


def run_client(sim: Any, store: ClientStateStore, plan: RoundPlan, client_id: int
               ) -> ClientResult:
    """Run client ``client_id`` for the round described by ``plan``."""
    local, alg = sim.local, sim.algorithm
    plan = plan.to(sim.device)
    gen = stream(local.seed, plan.round, client_id)
    inputs, targets = sim.client_data[client_id]
    iters = (plan.local_steps or local.iterations) if alg.local_steps else 1
    state = store.get(client_id, sim.device)
    batches, sampler_state = client_plan(
        sim.options, inputs.shape[0], local.batch_size, iters,
        local.steps_mode or not alg.local_steps or plan.local_steps is not None, gen, state)
    ctx = ClientContext(client_id=client_id, round=plan.round, x=plan.x,
                        broadcast=plan.broadcast, state=state,
                        options=sim.options, generator=gen, lr=plan.local_lr,
                        steps=len(batches), oracle=sim.oracle, inputs=inputs, targets=targets,
                        uplink=sim.uplink,
                        buffers=None if plan.buffers is None else plan.buffers.clone())
    hook, work = "local_gradient", dict(state)
    try:
        y = plan.x
        if alg.local_steps:
            y = plan.x.clone()
            ctx.optimizer = build_optimizer(local.optimiser, y, plan.local_lr, local.momentum,
                                            local.weight_decay)
            for k, batch in enumerate(batches):
                ctx.batch, ctx.step = batch, k
                hook = "local_gradient"
                g, work = alg.local_gradient(ctx, y, work)
                hook = "client_opt"
                y = alg.client_opt(ctx, y, g, k)
            y.grad = None
        else:
            ctx.batch = batches[0]
        hook = "local_state"
        message, updates = alg.local_state(ctx, plan.x, y, work)
    except Exception as e:
        raise HookError(f"round {plan.round}, client {client_id}, hook "
                        f"{hook.upper()} of {alg.name!r}: {type(e).__name__}: {e}") from e
    return ClientResult(client_id, message, {**sampler_state, **updates}, ctx.bits_up,
                        ctx.oracle_full,
                        ctx.oracle_samples, ctx.buffers)
