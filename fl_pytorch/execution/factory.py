"""Build the executor of a configuration (``--threadpool-for-local-opt``, ``--gpu``)."""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from ..utils.devices import parse_devices
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


def _batched(algorithm: str) -> bool:
    """Whether ``algorithm`` has a batched form of its client hooks (e.g. FedNL)."""
    from ..registries import ALGORITHMS
    return algorithm in ALGORITHMS and "batched" in ALGORITHMS.get(algorithm).extra


def build_executor(config: Any) -> Executor:
    """The executor of ``config``.

    Remote workers for ``--external-devices``; otherwise sequential for 0; per-device pools for
    N; for ``auto``, the batched clients of an algorithm that has them (falling back to the
    sequential reference when the problem cannot be batched), else sequential measured against
    the pools (when the pools would run more than one thread).
    """
    if config.external_devices:  # the clients run on remote workers (docs/remote.md)
        from .remote import RemoteExecutor
        return RemoteExecutor(config)
    spec = str(config.threadpool_for_local_opt)
    devices = parse_devices(config.gpu)
    if spec == "auto" and _batched(config.algorithm):
        from .batched import BatchedExecutor
        return BatchedExecutor(build_executor(config.replace(threadpool_for_local_opt="0")))
    if spec == "auto":
        workers = auto_workers_per_device(devices, config.intra_op_threads)
        if workers * len(devices) == 1:
            return SequentialExecutor()
        return AutoExecutor([SequentialExecutor(),
                             DevicePoolExecutor(devices, workers, config.intra_op_threads)])
    if not spec.isdigit():
        raise ConfigError(f"--threadpool-for-local-opt: invalid value {spec!r}; valid: auto or "
                          "an integer >= 0 (0 = sequential)")
    if int(spec) == 0:
        return SequentialExecutor()
    return DevicePoolExecutor(devices, int(spec), config.intra_op_threads)
