"""Questions a server hook may ask the round's participants between their messages and the step.

A line search (FedNL-LS) needs the objective at trial points: the server sends the point to every
participant, each returns ``f_i`` at it. :class:`ObjectiveProbe` evaluates
``sum_S w_i f_i(x) / sum_S w_j`` and counts what that exchange costs: one value up and one model
down per participant and call, added to the round's bits by the engine.
"""

from __future__ import annotations

from typing import Any

import torch

from ..compressors.base import value_bits


class ObjectiveProbe:
    """``probe(x)``: the participants' weighted objective at x, each call's bits counted."""

    def __init__(self, sim: Any, participants: list[int]):
        self.sim, self.participants = sim, participants
        self.calls = 0

    def __call__(self, x: torch.Tensor) -> float:
        sim = self.sim
        self.calls += 1
        weights = [float(sim.weights[i]) for i in self.participants]
        total = 0.0
        with torch.no_grad():
            for w, i in zip(weights, self.participants):
                inputs, targets = sim.client_data[i]
                total += w * float(sim.oracle.value(x, inputs, targets))
        return total / sum(weights)

    def bits_per_client(self, dim: int, dtype: torch.dtype) -> tuple[int, int]:
        """(uplink, downlink) bits of one participant for all calls so far."""
        b = value_bits(torch.empty(0, dtype=dtype))
        return self.calls * b, self.calls * dim * b
