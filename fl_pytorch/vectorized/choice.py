"""When a run gets the vectorized executor: asked for (and possible) or preferred by ``auto``.

``--threadpool-for-local-opt vectorized`` asks for the vectorized executor; a run it cannot serve
is refused before any work with one line naming what prevents it (:func:`check_vectorized`: the
model's layer, the algorithm's hook, or several devices). ``auto`` takes it, silently, for the
closed-form oracles of linear models when nothing prevents it (measured 6 to 7 times faster than
sequential at 100 clients per round; docs/parallel.md). For neural models the gain of
``torch.func`` depends on the model and the batches (measured: 1.9 times for a small CNN, 0.7
for an MLP), so ``auto`` keeps there the executors that give the sequential bits. The choice is
a rule, not a timing, so the same command always runs the same arithmetic. The executor itself
is built with the others (``engine/executors.py``).
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .obstacles import vectorization_obstacle
from .oracles import is_closed_form


def check_vectorized(sim: Any) -> None:
    """Refuse ``--threadpool-for-local-opt vectorized`` when the run cannot be vectorized."""
    if sim.executor_spec.kind != "vectorized":
        return
    why = vectorization_obstacle(sim)
    if why is not None:
        raise ConfigError(f"--threadpool-for-local-opt: invalid value 'vectorized': {why}; "
                          "valid here: auto, 0 (sequential) or N (threads per device)")


def prefers_vectorized(sim: Any) -> bool:
    """``auto``'s rule: a linear model's closed-form oracle, and nothing prevents it."""
    return is_closed_form(sim.oracle) and vectorization_obstacle(sim) is None
