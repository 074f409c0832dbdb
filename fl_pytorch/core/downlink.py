"""The server's broadcast and its cost: ``--server-compressor`` (downlink compression).

What is sent, per round, to every participant (one message, the same for all of them):

* ``ident`` (default): the model x and every tensor of CLIENT_STATE at full precision,
  ``d * b`` bits each (32 d for fp32), plus 1 bit per Python flag (e.g. MARINA's coin).
* a compressor C: for the model and for each broadcast tensor, the server keeps the replica
  ``r`` that the clients hold, sends ``C(v - r)`` and both sides set ``r <- r + C(v - r)``;
  clients compute at the replicas (model-side error feedback, EF21-P: Gruntkowska, Tyurin and
  Richtarik 2023, arXiv:2209.15218). C is used in its contractive form (an unbiased C as
  ``C / (omega + 1)``, see ``engine/compat.py``), so ``||v - r||`` shrinks as ``v`` settles and
  methods keep their exact fixed points. The model replica starts at x0 (the initialization is
  shared like the seed), the others at zero. Bits are those C reports.

Under partial participation a client is assumed to hold the current replicas when it is sampled
(a real deployment would send the missed updates; that catch-up is not counted).
"""

from __future__ import annotations

from typing import Any

import torch

from ..compressors import Compressor
from ..compressors.base import value_bits
from ..compressors.contractive import as_contractive
from ..compressors.identity import Identity


class Downlink:
    """Turns (x, CLIENT_STATE) into what the clients receive, with its bits per client."""

    def __init__(self, compressor: Compressor, x0: torch.Tensor):
        self.identity = isinstance(compressor, Identity)
        self.compressor = as_contractive(compressor)
        self.replicas: dict[str, torch.Tensor] = {"model": x0.detach().clone()}

    def send(self, x: torch.Tensor, broadcast: dict[str, Any], generator: torch.Generator
             ) -> tuple[torch.Tensor, dict[str, Any], int]:
        """(model seen by clients, broadcast seen by clients, bits per client)."""
        seen: dict[str, Any] = {}
        x_seen, bits = self._tensor("model", x, generator)
        for key, value in broadcast.items():
            if isinstance(value, torch.Tensor):
                seen[key], b = self._tensor(key, value, generator)
                bits += b
            else:
                seen[key] = value
                bits += 1
        return x_seen, seen, bits

    def _tensor(self, key: str, v: torch.Tensor, generator: torch.Generator
                ) -> tuple[torch.Tensor, int]:
        if self.identity:
            return v, v.numel() * value_bits(v)
        replica = self.replicas.get(key)
        if replica is None:
            replica = torch.zeros_like(v)
        out = self.compressor.compress(v - replica, generator)
        replica = replica + out.value
        self.replicas[key] = replica
        return replica, out.bits
