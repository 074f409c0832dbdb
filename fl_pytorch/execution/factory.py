"""Build the executor of a configuration (``--threadpool-for-local-opt``, ``--gpu``)."""

from __future__ import annotations

import os

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
