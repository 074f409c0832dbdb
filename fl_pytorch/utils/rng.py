"""Deterministic random streams: one generator per (runtime seed, round, client).

Because every client in every round draws from its own stream, results do not depend on the
order in which clients run, nor on how many threads or workers run them.
"""

from __future__ import annotations

import torch

_MASK = (1 << 64) - 1
SERVER = -1  # stream id of the server (client sampling, shared coins)


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def stream_seed(seed: int, round_index: int, stream: int) -> int:
    """A 63-bit seed mixing the three integers (distinct inputs give unrelated streams)."""
    h = _splitmix64(seed & _MASK)
    h = _splitmix64(h ^ (round_index & _MASK))
    h = _splitmix64(h ^ (stream & _MASK))
    return h >> 1


def generator(seed: int, round_index: int, stream: int,
              device: torch.device | str = "cpu") -> torch.Generator:
    """A fresh torch generator for ``stream`` (a client id or SERVER) in ``round_index``."""
    g = torch.Generator(device=device)
    g.manual_seed(stream_seed(seed, round_index, stream))
    return g
