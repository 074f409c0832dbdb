"""Counter-based random numbers for the system model: a value per (seed, round, client, use).

Each draw is a hash (SplitMix64) of its coordinates, computed for whole arrays of clients at once,
so a client's speed or its dropout in a round never depends on which other clients exist, are
sampled, or in what order they are asked about. NumPy only (no torch): the model is importable
anywhere, the GUI's Qt-free code included.
"""

from __future__ import annotations

import numpy as np

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)

PROFILE, DROPOUT = 1, 2
"""Stream tags: a client's device draws, and its dropout coin of a round."""


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


def uniforms(seed: int, round_index: int, clients: np.ndarray, tag: int) -> np.ndarray:
    """One uniform in [0, 1) per client id in ``clients``, for (``seed``, ``round_index``, ``tag``).

    The same coordinates always give the same number; distinct coordinates give unrelated ones.
    """
    ids = np.asarray(clients, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):  # wrap-around multiplication is the hash
        h = _splitmix(np.full(ids.shape, seed & _MASK, dtype=np.uint64))
        h = _splitmix(h ^ np.uint64(round_index & _MASK))
        h = _splitmix(h ^ np.uint64(tag & _MASK))
        h = _splitmix(h ^ ids)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def normals(seed: int, clients: np.ndarray, draw: int) -> np.ndarray:
    """Standard normal draw number ``draw`` of each client (Box-Muller on two uniforms)."""
    u1 = uniforms(seed, 2 * draw, clients, PROFILE)
    u2 = uniforms(seed, 2 * draw + 1, clients, PROFILE)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
