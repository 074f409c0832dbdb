"""Client hooks that are not batchable, run client by client inside a batched round.

CLIENT_OPT and LOCAL_STATE without the ``batchable`` mark (``core/batchable.py``) are called
once per client of the batch with that client's own context (:meth:`ClientBatch.client`: its
generator, state, minibatch and optimizer) and its rows of the iterates and of the work state;
the per-client results are stacked back. The random streams stay in order, so the result is the
per-client path's. (LOCAL_GRADIENT, which does the gradient work of every step, must be
batchable for a run to be vectorized: ``vectorized/choice.py``.)

State values that differ in shape per client (a minibatch sampler's permutation) travel as
:class:`PerClient` lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..core.batchable import is_batchable
from .context import ClientBatch


class PerClient(list):
    """A work-state value given client by client (row ``j`` is the ``j``-th entry)."""


def row(value: Any, j: int) -> Any:
    """Client ``j``'s part of a batched value (shared values are the same for everyone)."""
    if isinstance(value, (torch.Tensor, PerClient)):
        return value[j]
    return value


def stacked(values: list[Any]) -> Any:
    """The per-client tensors as one stack, or a PerClient where their shapes differ."""
    first = values[0]
    if all(isinstance(v, torch.Tensor) and v.shape == first.shape for v in values):
        return torch.stack(values)
    return PerClient(values)


def stacked_dict(dicts: list[dict[str, Any]]) -> dict[str, Any]:
    keys = {k: None for d in dicts for k in d}
    return {k: stacked([d.get(k) for d in dicts]) for k in keys}


def client_opt(hook: Callable) -> Callable:
    """CLIENT_OPT for a batch: the hook itself, or the hook client by client (rows in place)."""
    if is_batchable(hook):
        return hook

    def per_client(ctx: ClientBatch, y: torch.Tensor, g: torch.Tensor, k: int) -> torch.Tensor:
        for j in range(len(ctx.client_ids)):
            view = ctx.client(j, y)
            mine = ctx.row(y, j)
            out = hook(view, mine, g[j], k)
            ctx.absorb(j, view)
            if out is not mine:
                mine.copy_(out)
        return y
    return per_client


def local_state(hook: Callable) -> Callable:
    """LOCAL_STATE for a batch: the hook itself, or the hook client by client."""
    if is_batchable(hook):
        return hook

    def per_client(ctx: ClientBatch, x: torch.Tensor, y: torch.Tensor, work: dict[str, Any]
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
        messages, updates = [], []
        for j in range(len(ctx.client_ids)):
            view = ctx.client(j, y)
            message, update = hook(view, x[j], ctx.row(y, j),
                                   {k: row(v, j) for k, v in work.items()})
            ctx.absorb(j, view)
            messages.append(message)
            updates.append(update)
        return stacked_dict(messages), stacked_dict(updates)
    return per_client
