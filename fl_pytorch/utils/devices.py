"""Torch devices from the original tool's ``--gpu`` list (``0,1,-1``; -1 = CPU); CPU threads.

``torch_threads`` sets PyTorch's CPU thread count for a block of work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from ..errors import ConfigError


def parse_devices(spec: str) -> list[torch.device]:
    """``"0,-1"`` -> [cuda:0, cpu]. Unknown or unavailable GPUs are a ConfigError."""
    devices: list[torch.device] = []
    for part in (p.strip() for p in str(spec).split(",")):
        if part in ("-1", "cpu"):
            devices.append(torch.device("cpu"))
            continue
        index = part.removeprefix("cuda:")
        if not index.lstrip("-").isdigit():
            raise ConfigError(f"--gpu: invalid value {spec!r}; use comma-separated GPU ids "
                              "(0,1,...) or -1 for the CPU")
        count = torch.cuda.device_count()
        if int(index) < 0 or int(index) >= count:
            avail = ", ".join(str(i) for i in range(count)) or "none"
            raise ConfigError(f"--gpu: invalid value {spec!r}; GPU {index} is not available "
                              f"(GPUs here: {avail}; -1 = CPU)")
        devices.append(torch.device(f"cuda:{index}"))
    if not devices:
        raise ConfigError(f"--gpu: invalid value {spec!r}; give at least one device")
    return devices


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """PyTorch's CPU thread count set to ``count`` inside the block, restored after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
