"""What prevents running a simulation's clients as batches: a device list, a hook or a layer."""

from __future__ import annotations

from typing import Any

from ..core.batchable import is_batchable
from .oracles import obstacle


def vectorization_obstacle(sim: Any) -> str | None:
    """What prevents running ``sim``'s clients batched (a device list, hook or layer), or None."""
    if len(sim.devices) > 1:
        return (f"--gpu lists {len(sim.devices)} devices and the vectorized executor runs every "
                "client on one")
    alg = sim.algorithm
    name = "local_gradient" if alg.local_steps else "local_state"
    hook = getattr(alg, name)
    if not is_batchable(hook):
        own = ("; its clients run batched by its own executor under auto "
               "(engine/batched_executor.py)") if "batched" in alg.extra else ""
        return (f"--algorithm {alg.name}: its {name.upper()} hook "
                f"{getattr(hook, '__name__', repr(hook))} is not batchable (core/batchable.py)"
                f"{own}")
    layer = obstacle(sim.oracle)
    return None if layer is None else f"--model {sim.config.model}: {layer}"
