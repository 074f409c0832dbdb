"""What a batchable hook sees for a group of clients: :class:`ClientBatch`.

The batched counterpart of ``core/context.py:ClientContext`` (``core/batchable.py`` states the
contract): every tensor has a leading client dimension, including ``x`` and the broadcast
(expanded views, so writing into them fails loudly); ``grad``, ``full_grad``, ``compress`` and
``send`` work row by row, with each client's samples, random stream and counters.
:meth:`ClientBatch.client` gives the per-client context of one row, for hooks that are not
batchable (``vectorized/fallback.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..compressors.base import Compressor, value_bits
from ..core.context import ClientContext
from .rows import ClientRows, StepRows


def expand(value: Any, clients: int) -> Any:
    """``value`` with a leading client dimension (a view) when it is a tensor."""
    return value.expand(clients, *value.shape) if isinstance(value, torch.Tensor) else value


def _counter(clients: int) -> torch.Tensor:
    return torch.zeros(clients, dtype=torch.int64)


@dataclass
class ClientBatch:
    """A group of clients in one round, all taking the same number of local steps."""

    client_ids: list[int]
    round: int
    x: torch.Tensor  # [C, d], expanded
    broadcast: dict[str, Any]  # tensors expanded to [C, ...]
    state: dict[str, Any]  # [C, ...] stacks (or per-client lists where shapes differ)
    options: dict[str, Any]
    generators: list[torch.Generator]
    lr: float
    steps: int
    oracle: Any  # a batched oracle (vectorized/oracles.py)
    rows: ClientRows
    uplink: Compressor
    plans: list[list[torch.Tensor | None]]  # per client, its minibatch of every step
    sim: Any  # for the per-client contexts of hooks that are not batchable
    plan: Any  # the round's RoundPlan, as the per-client contexts see it
    batch: StepRows | None = None  # this step's samples (None: each client's full data)
    optimizer: Any = None
    step: int = 0
    bits_up: torch.Tensor = field(init=False)
    oracle_full: torch.Tensor = field(init=False)
    oracle_samples: torch.Tensor = field(init=False)
    client_optimizers: dict[int, Any] = field(default_factory=dict)
    _full: StepRows | None = None
    _views: tuple[torch.Tensor, tuple[torch.Tensor, ...]] | None = None

    def __post_init__(self) -> None:
        clients = len(self.client_ids)
        self.bits_up, self.oracle_full = _counter(clients), _counter(clients)
        self.oracle_samples = _counter(clients)

    @property
    def num_samples(self) -> torch.Tensor:
        """Each client's number of local samples."""
        return self.rows.sizes[self.client_ids]

    def full_rows(self) -> StepRows:
        """Every sample of every client of the batch (gathered once)."""
        if self._full is None:
            self._full = self.rows.gather(self.client_ids, [None] * len(self.client_ids))
        return self._full

    def grad(self, y: torch.Tensor) -> torch.Tensor:
        """Each client's gradient at its row of ``y`` on its current minibatch."""
        if self.batch is None:
            return self.full_grad(y)
        self.oracle_samples += self.batch.counts
        self.oracle_full += self.batch.full
        return self.oracle.grad(y, self.batch)

    def full_grad(self, y: torch.Tensor) -> torch.Tensor:
        """Each client's gradient at its row of ``y`` on all its samples."""
        rows = self.full_rows()
        self.oracle_full += 1
        self.oracle_samples += rows.counts
        return self.oracle.grad(y, rows)

    def compress(self, t: torch.Tensor, compressor: Compressor | None = None) -> torch.Tensor:
        """Each row of ``t`` through the uplink compressor with its client's generator."""
        out = (compressor or self.uplink).compress_batch(t, self.generators)
        self.bits_up += out.bits
        return out.value

    def send(self, t: torch.Tensor) -> torch.Tensor:
        """Each row of ``t`` uncompressed: its numel times the bits of a value, per client."""
        self.bits_up += t.numel() // len(self.client_ids) * value_bits(t)
        return t

    def row(self, y: torch.Tensor, j: int) -> torch.Tensor:
        """Row ``j`` of ``y``, the same view object every time (a per-client optimizer keeps it)."""
        if self._views is None or self._views[0] is not y:
            self._views = (y, y.unbind(0))
        return self._views[1][j]

    def client(self, j: int, y: torch.Tensor) -> ClientContext:
        """The per-client context of row ``j`` (same generator, state, minibatch, optimizer)."""
        i, sim, plan = self.client_ids[j], self.sim, self.plan
        inputs, targets = sim.client_data[i]
        ctx = ClientContext(
            client_id=i, round=self.round, x=plan.x, broadcast=plan.broadcast,
            state={k: v[j] for k, v in self.state.items() if v[j] is not None},
            options=self.options, generator=self.generators[j], lr=self.lr, steps=self.steps,
            oracle=sim.oracle, inputs=inputs, targets=targets, uplink=self.uplink,
            batch=self.plans[j][self.step], step=self.step,
            buffers=None if plan.buffers is None else plan.buffers.clone())
        if self.optimizer is not None:
            ctx.optimizer = self.client_optimizers.get(j) or self._client_optimizer(j, y)
        return ctx

    def _client_optimizer(self, j: int, y: torch.Tensor) -> Any:
        from ..core.optim import build_optimizer
        local = self.sim.local
        opt = build_optimizer(local.optimiser, self.row(y, j), self.lr, local.momentum,
                              local.weight_decay)
        self.client_optimizers[j] = opt
        return opt

    def absorb(self, j: int, ctx: ClientContext) -> None:
        """Add the counts of a per-client context to row ``j``."""
        self.bits_up[j] += ctx.bits_up
        self.oracle_full[j] += ctx.oracle_full
        self.oracle_samples[j] += ctx.oracle_samples
