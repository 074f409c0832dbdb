"""What a run carries from round to round: the model, H, the client states, the counters.

Everything here is what a checkpoint saves (``parts``) and a resume puts back in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..core.client_state import ClientStateStore
from ..core.downlink import Downlink
from ..core.hooks import State

#: per-client totals kept in ``result["clients"]`` (arrays indexed by client id): rounds counts
#: the rounds whose message the server used; dropped and late the rounds the client was sampled
#: but dropped out or missed the deadline (docs/heterogeneity.md)
CLIENT_TOTALS = ("oracle_grad_full", "oracle_grad_samples", "bits_up", "rounds", "dropped",
                 "late")


@dataclass
class RunState:
    """The state of a run between two rounds."""

    x: torch.Tensor
    buffers: torch.Tensor  # the server's batch-norm statistics (may be empty)
    h: State  # the server state H
    server_optimizer: Any
    store: ClientStateStore
    downlink: Downlink
    num_clients: int
    rows: list[dict[str, float]] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=lambda: {
        "oracle_grad_full": 0, "oracle_grad_samples": 0, "bits_up_cum": 0, "bits_down_cum": 0,
        "sim_time_cum": 0.0})
    per_client: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.per_client:
            self.per_client = {k: np.zeros(self.num_clients, dtype=np.int64)
                               for k in CLIENT_TOTALS}

    def parts(self) -> dict[str, Any]:
        """The checkpointed parts, by the names checkpoints use (restored in place)."""
        return dict(x=self.x, buffers=self.buffers, server_state=self.h,
                    client_states=self.store, server_optimizer=self.server_optimizer,
                    downlink=self.downlink.replicas, per_client=self.per_client, rows=self.rows,
                    totals=self.totals)

    @property
    def rounds_done(self) -> int:
        """Rounds completed so far (the last row's round; 0 before any)."""
        return int(self.rows[-1]["round"]) if self.rows else 0
