"""``--initialize-shifts-policy``: where the learned shifts of DIANA, COFIG and FRECON start.

``zero`` (default), or ``full_gradient_at_start`` as in the original tool: every client's shift
and the server's start at the full gradient of the objective at x0,
``sum_i w_i grad f_i(x0)`` (its computation is not counted as oracle calls, as the original's
was not). The shifts are the state keys an algorithm lists in ``client_shifts`` and
``server_shifts``; for an algorithm without shifts the policy has no effect (a warning line,
``engine/option_use.py``).
"""

from __future__ import annotations

from typing import Any

import torch

from .algorithm import State


@torch.no_grad()
def initial_shift(sim: Any) -> torch.Tensor | None:
    """``sum_i w_i grad f_i(x0)`` under ``full_gradient_at_start``, else None (zero shifts)."""
    if sim.config.initialize_shifts_policy != "full_gradient_at_start":
        return None
    total = torch.zeros_like(sim.x0)
    buffers = sim.oracle.buffers0.clone() if sim.oracle.buffers0.numel() else None
    for w, (inputs, targets) in zip(sim.weights.tolist(), sim.client_data):
        total += w * sim.oracle.grad(sim.x0, inputs, targets, buffers)
    return total


def with_shifts(state: State, keys: tuple[str, ...], shift: torch.Tensor | None) -> State:
    """``state`` with each key in ``keys`` set to (a copy of) ``shift`` (unchanged if None)."""
    if shift is None or not keys:
        return state
    return {**state, **{k: shift.clone() for k in keys}}
