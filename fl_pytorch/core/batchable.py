"""Client hooks that also run on a batch of clients at once (the vectorized executor).

A client hook (LOCAL_GRADIENT, CLIENT_OPT, LOCAL_STATE) marked :func:`batchable` declares that
its code is tensor code that broadcasts over a leading client dimension. The vectorized executor
(``fl_pytorch/vectorized``) then calls it once for a whole group of clients with a
``ClientBatch`` context, in which every tensor has that leading dimension: ``y``, ``x``,
``ctx.x``, the broadcast tensors, ``ctx.state`` and the work state are ``[clients, ...]``
stacks; ``ctx.grad``, ``ctx.full_grad``, ``ctx.compress`` and ``ctx.send`` work row by row, each
row with its own client's oracle data, random stream and counters; ``ctx.options``, ``ctx.lr``,
``ctx.steps``, ``ctx.step`` and Python values of the broadcast are shared by the batch. A
batchable hook therefore returns, for every row, exactly what it returns for that client alone.

What disqualifies a hook: Python branching on tensor values or on the client id
(``ctx.client_id`` does not exist in a batch), per-client Python values in the work state, or
in-place writes into its inputs. Hooks that are not marked run per client inside the batched
round (the per-client path, with the same random streams). Marking is per function, so a
variant that replaces a hook (``dataclasses.replace``) does not inherit the mark.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Hook = TypeVar("Hook", bound=Callable)


def batchable(hook: Hook) -> Hook:
    """Mark ``hook`` as broadcasting over a leading client dimension (module docstring)."""
    hook.batchable = True
    return hook


def is_batchable(hook: Callable) -> bool:
    """Whether ``hook`` was marked with :func:`batchable`."""
    return getattr(hook, "batchable", False) is True
