"""What hooks see: a client's context (one client, one round) and the server's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..compressors.base import Compressor, value_bits


@dataclass
class ServerContext:
    """Round-level facts for server-side hooks."""

    round: int
    total_rounds: int
    num_clients: int
    participants: list[int]
    lr: float
    options: dict[str, Any]
    generator: torch.Generator
    dim: int
    dtype: torch.dtype
    device: torch.device
    problem: dict[str, Any]
    uplink: Compressor
    optimizer: torch.optim.Optimizer | None = None
    broadcast: dict[str, Any] = field(default_factory=dict)  # this round's CLIENT_STATE
    direction: torch.Tensor | None = None  # this round's SERVER_GRADIENT
    weights: torch.Tensor | None = None  # w_i of every client (summing to one)
    x: torch.Tensor | None = None  # this round's model, before SERVER_OPT (read-only)
    local_steps: int | None = None  # set by CLIENT_STATE to fix this round's local steps
    #: the most local steps a client takes in a round under the configuration (-li, epochs)
    max_local_steps: int = 1
    #: this round's metrics reported by server hooks (names in ``Algorithm.extra["metrics"]``)
    metrics: dict[str, float] = field(default_factory=dict)
    #: ``objective(x)``: the participants' objective at x (``core/probes.py``, bits counted)
    objective: Any = None

    @property
    def n_participants(self) -> int:
        return len(self.participants)

    @property
    def participation_weight(self) -> float:
        """Sum of w_i over the participants (|S|/n for uniform weights).

        The mean message times this is sum_{i in S} w_i m_i (e.g. to update sum_i w_i h_i).
        """
        return float(self.weights[self.participants].sum())


@dataclass
class ClientContext:
    """One client in one round: read-only facts and counting services for the hooks.

    Hooks read ``x``, ``broadcast``, ``state`` (the client's stored state at the start of the
    round), ``step`` (the current local step) and call ``grad``, ``full_grad``, ``compress`` and
    ``send``, which count oracle calls and bits. They write nothing here: what they produce they
    return (``core/hooks.py``).
    """

    client_id: int
    round: int
    x: torch.Tensor
    broadcast: dict[str, torch.Tensor]
    state: dict[str, torch.Tensor]
    options: dict[str, Any]
    generator: torch.Generator
    lr: float
    steps: int
    oracle: Any
    inputs: torch.Tensor
    targets: torch.Tensor
    uplink: Compressor
    batch: torch.Tensor | None = None  # indices (into inputs) of the current minibatch
    optimizer: torch.optim.Optimizer | None = None
    step: int = 0  # the current local step (0-based), set by the engine
    bits_up: int = 0
    oracle_full: int = 0
    oracle_samples: int = 0
    buffers: torch.Tensor | None = None  # this client's batch-norm statistics (updated)

    @property
    def num_samples(self) -> int:
        return self.inputs.shape[0]

    def grad(self, y: torch.Tensor) -> torch.Tensor:
        """Gradient of the local objective at ``y`` on the current minibatch."""
        if self.batch is None:
            return self.full_grad(y)
        self.oracle_samples += self.batch.numel()
        if self.batch.numel() == self.num_samples:
            self.oracle_full += 1
        return self.oracle.grad(y, self.inputs[self.batch], self.targets[self.batch],
                                self.buffers)

    def full_grad(self, y: torch.Tensor) -> torch.Tensor:
        """Gradient of the local objective at ``y`` on all local samples."""
        self.oracle_full += 1
        self.oracle_samples += self.num_samples
        return self.oracle.grad(y, self.inputs, self.targets, self.buffers)

    def compress(self, t: torch.Tensor, compressor: Compressor | None = None) -> torch.Tensor:
        """Send ``t`` through the uplink compressor (or ``compressor``); count its bits."""
        out = (compressor or self.uplink).compress(t, self.generator)
        self.bits_up += out.bits
        return out.value

    def count_bits(self, bits: int) -> None:
        """Count ``bits`` of a message the hook encoded itself (e.g. a matrix compressor's)."""
        self.bits_up += bits

    def send(self, t: torch.Tensor) -> torch.Tensor:
        """Send ``t`` uncompressed; count d * b bits."""
        self.bits_up += t.numel() * value_bits(t)
        return t
