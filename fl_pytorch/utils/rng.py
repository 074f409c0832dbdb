"""Deterministic random streams: one generator per (runtime seed, round, client).

Because every client in every round draws from its own stream, results do not depend on the
order in which clients run, nor on how many threads or workers run them.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

_MASK = (1 << 64) - 1
SERVER = -1  # stream id of the server (client sampling, shared coins)
_CPU = torch.device("cpu")


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


@functools.lru_cache(maxsize=256)
def _round_key(seed: int, round_index: int) -> int:
    """The part of :func:`stream_seed` shared by every stream of a round (computed once)."""
    return _splitmix64(_splitmix64(seed & _MASK) ^ (round_index & _MASK))


def stream_seed(seed: int, round_index: int, stream: int) -> int:
    """A 63-bit seed mixing the three integers (distinct inputs give unrelated streams)."""
    return _splitmix64(_round_key(seed, round_index) ^ (stream & _MASK)) >> 1


def stream_seeds(seed: int, round_index: int, streams: list[int]) -> list[int]:
    """:func:`stream_seed` of many streams of a round at once.

    uint64 arithmetic wraps as the masks do; the vectorized executor seeds a round's clients
    with it.
    """
    x = np.asarray(streams, dtype=np.int64).astype(np.uint64) ^ np.uint64(_round_key(
        seed, round_index))
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return ((x ^ (x >> np.uint64(31))) >> np.uint64(1)).tolist()


def generator(seed: int, round_index: int, stream: int,
              device: torch.device | str = "cpu") -> torch.Generator:
    """A fresh torch generator for ``stream`` (a client id or SERVER) in ``round_index``."""
    g = torch.Generator() if device == "cpu" or device == _CPU else torch.Generator(device=device)
    g.manual_seed(stream_seed(seed, round_index, stream))
    return g
