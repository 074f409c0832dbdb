"""Build the executor of a configuration (``--threadpool-for-local-opt``, ``--gpu``)."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from .auto import AutoExecutor
from .base import Executor
from .device_pool import DevicePoolExecutor
from .sequential import SequentialExecutor

#: worker threads per GPU tried by ``auto`` (two streams overlap one thread's Python work with
#: the other's kernels)
AUTO_WORKERS_PER_GPU = 2


def cpu_cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_workers_per_device(devices: list, intra_op_threads: int) -> int:
    """Workers per device so that busy threads do not outnumber the cores.

    On GPUs a few streams per device, on CPUs ``cores // (intra_op_threads * CPU entries)``.
    """
    cpu_entries = sum(d.type == "cpu" for d in devices)
    if not cpu_entries:
        return AUTO_WORKERS_PER_GPU
    return max(1, cpu_cores() // (intra_op_threads * cpu_entries))


def build_executor(sim: Any) -> Executor:
    """The local executor of a simulation (``sim.executor_spec``, ``sim.devices``).

    Sequential for 0; per-device pools for N; for ``auto``, sequential measured against the
    pools (when the pools would run more than one thread). Remote workers
    (``--external-devices``) are the API's choice: ``fl_pytorch.distributed.RemoteExecutor``;
    the vectorized executor, which runs the hooks of ``core``, is built above it
    (``fl_pytorch.vectorized.choose_executor``, which also decides when ``auto`` takes it).
    """
    config, spec, devices = sim.config, sim.executor_spec, sim.devices
    if config.external_devices:
        raise ConfigError("--external-devices: remote workers run through fl_pytorch.api "
                          "(run, prepare) or the command line, which connect to them")
    if spec.kind == "auto":
        workers = auto_workers_per_device(devices, config.intra_op_threads)
        if workers * len(devices) == 1:
            return SequentialExecutor()
        return AutoExecutor([SequentialExecutor(),
                             DevicePoolExecutor(devices, workers, config.intra_op_threads)])
    if spec.kind == "sequential":
        return SequentialExecutor()
    if spec.kind == "vectorized":
        raise ConfigError("--threadpool-for-local-opt vectorized: build the executor with "
                          "fl_pytorch.vectorized.choose_executor")
    return DevicePoolExecutor(devices, spec.workers, config.intra_op_threads)
