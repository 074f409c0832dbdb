"""Executors: how the clients of a round are run (the engine's executor seam).

Also the thread pools, the asynchronous evaluation and the interrupt handling of a run.
"""

from .auto import AutoExecutor
from .base import ClientTaskError, Executor
from .device_pool import DevicePoolExecutor
from .sequential import SequentialExecutor
from .thread_pool import ThreadPool

__all__ = ["AutoExecutor", "ClientTaskError", "DevicePoolExecutor", "Executor",
           "SequentialExecutor", "ThreadPool"]
