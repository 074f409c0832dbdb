"""The local executor of a simulation: ``--threadpool-for-local-opt`` and the algorithm's form.

Sequential for 0; per-device pools for N; the vectorized executor for ``vectorized`` (refused
at setup when the run cannot be vectorized: ``vectorized/choice.py``). For ``auto``: the batched
clients of an algorithm that has them (the FedNL family; not with a deadline: those clients
update their own states, and a late client's update must be dropped), else the vectorized
executor for a linear model's closed-form oracle when nothing prevents it, else sequential
measured against the pools (when the pools would run more than one thread). Remote workers
(``--external-devices``) are the API's choice (``fl_pytorch.distributed.remote_executor``).
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..execution import factory
from ..execution.auto import AutoExecutor
from ..execution.base import Executor
from ..execution.device_pool import DevicePoolExecutor
from ..execution.sequential import SequentialExecutor
from ..vectorized import VectorizedExecutor, prefers_vectorized
from .batched_executor import BatchedExecutor


def build_executor(sim: Any) -> Executor:
    """The local executor of ``sim`` (``sim.executor_spec``, ``sim.devices``)."""
    config, spec, devices = sim.config, sim.executor_spec, sim.devices
    if config.external_devices:
        raise ConfigError("--external-devices: remote workers run through fl_pytorch.api "
                          "(run, prepare) or the command line, which connect to them")
    if spec.kind == "auto" and "batched" in sim.algorithm.extra and not sim.system.deadline:
        return BatchedExecutor(SequentialExecutor())  # its clients keep their states: no deadline
    if spec.kind == "vectorized" or (spec.kind == "auto" and prefers_vectorized(sim)):
        return VectorizedExecutor()
    if spec.kind == "auto":
        workers = factory.auto_workers_per_device(devices, config.intra_op_threads)
        if workers * len(devices) == 1:
            return SequentialExecutor()
        return AutoExecutor([SequentialExecutor(),
                             DevicePoolExecutor(devices, workers, config.intra_op_threads)])
    if spec.kind == "sequential":
        return SequentialExecutor()
    return DevicePoolExecutor(devices, spec.workers, config.intra_op_threads)
