"""What one worker thread owns on one device: a model replica, a CUDA stream, its thread count.

The oracle's module has its parameters bound to flat tensors that each call overwrites with ``x``
(one copy of d numbers), so a module must never serve two threads at once: every worker gets its
own long-lived replica, built once when the pool starts; nothing is deep-copied per client.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch


def map_tensors(obj: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """``obj`` with ``fn`` applied to every tensor inside dicts, lists, tuples and dataclasses."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(map_tensors(v, fn) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: map_tensors(getattr(obj, f.name), fn)
                                           for f in dataclasses.fields(obj) if f.init})
    return obj


def hand_over(obj: Any, device: torch.device) -> Any:
    """Move a worker's output to the engine's ``device``.

    CUDA tensors are also marked as in use by that device's default stream, so the caching
    allocator does not recycle their memory for the worker's stream while the engine's kernels
    may still read them.
    """
    def move(t: torch.Tensor) -> torch.Tensor:
        t = t.to(device)
        if t.is_cuda:
            t.record_stream(torch.cuda.default_stream(t.device))
        return t
    return map_tensors(obj, move)


class DeviceWorker:
    """Per-thread resources.

    Build it inside the worker thread: it sets that thread's count of PyTorch CPU threads, which
    is a per-thread setting.
    """

    def __init__(self, sim: Any, device: torch.device, intra_op_threads: int):
        torch.set_num_threads(intra_op_threads)
        self.device = device
        self.sim = dataclasses.replace(sim, oracle=sim.oracle.replicate(device))
        self.stream = torch.cuda.Stream(device=device) if device.type == "cuda" else None

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on this worker's CUDA stream; a plain call on the CPU.

        The stream first waits for the work already queued on the device's default stream (e.g.
        the new ``x``) and is synchronized before the result is handed back.
        """
        if self.stream is None:
            return fn(*args)
        with torch.cuda.device(self.device), torch.cuda.stream(self.stream):
            self.stream.wait_stream(torch.cuda.default_stream(self.device))
            out = fn(*args)
        self.stream.synchronize()
        return out
