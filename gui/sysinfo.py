"""System load (CPU, RAM, GPUs through NVML) and version facts for the status bar, About and Log."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass

import matplotlib
import numpy as np
import psutil
import torch
from PyQt5.QtCore import PYQT_VERSION_STR, QT_VERSION_STR

import fl_pytorch

LINKS = {
    "FL_PyTorch paper (DistributedML'21)": "https://arxiv.org/abs/2202.03099",
    "PyTorch documentation": "https://pytorch.org/docs/stable/",
    "PyQt5 documentation": "https://www.riverbankcomputing.com/static/Docs/PyQt5/",
}


@dataclass(frozen=True)
class GpuLoad:
    """One GPU's utilisation and memory, as NVML reports them."""

    index: int
    name: str
    util_percent: float
    mem_used: int
    mem_total: int


@dataclass(frozen=True)
class SystemLoad:
    """A snapshot of the machine's load."""

    cpu_percent: float
    ram_used: int
    ram_total: int
    ram_percent: float
    gpus: tuple[GpuLoad, ...]


class GpuMonitor:
    """NVML (``pynvml``) access; ``available`` is False (with ``reason``) where there is no GPU."""

    def __init__(self) -> None:
        self.available = False
        self.reason = "no GPU"
        self._handles: list = []
        try:
            import pynvml
            pynvml.nvmlInit()
            self._nvml = pynvml
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i)
                             for i in range(pynvml.nvmlDeviceGetCount())]
        except Exception as e:  # NVML absent or broken: the 'no GPU' state
            self.reason = f"no GPU ({type(e).__name__.removeprefix('NVMLError_')})"
            return
        self.available = bool(self._handles)

    def sample(self) -> tuple[GpuLoad, ...]:
        """Utilisation and memory of every GPU (empty without NVML)."""
        loads = []
        for i, h in enumerate(self._handles):
            util = self._nvml.nvmlDeviceGetUtilizationRates(h)
            mem = self._nvml.nvmlDeviceGetMemoryInfo(h)
            name = self._nvml.nvmlDeviceGetName(h)
            loads.append(GpuLoad(i, name.decode() if isinstance(name, bytes) else name,
                                 float(util.gpu), int(mem.used), int(mem.total)))
        return tuple(loads)


def system_load(gpus: GpuMonitor) -> SystemLoad:
    """CPU percent since the previous call, RAM use, and the GPUs' load."""
    mem = psutil.virtual_memory()
    return SystemLoad(psutil.cpu_percent(None), mem.total - mem.available, mem.total,
                      mem.percent, gpus.sample())


def gib(n_bytes: float) -> str:
    """Bytes as ``"3.2 GiB"``."""
    return f"{n_bytes / 2**30:.1f} GiB"


def versions() -> dict[str, str]:
    """Versions of Python, PyTorch, CUDA, Qt, NumPy and friends."""
    cuda = torch.version.cuda or "not built with CUDA"
    if torch.version.cuda:
        cuda += f" ({torch.cuda.device_count()} GPU(s) usable)" if torch.cuda.is_available() \
            else " (no usable GPU)"
    return {"FL_PyTorch": fl_pytorch.__version__, "Python": sys.version.split()[0],
            "PyTorch": torch.__version__, "CUDA": cuda, "Qt": QT_VERSION_STR,
            "PyQt5": PYQT_VERSION_STR, "NumPy": np.__version__,
            "Matplotlib": matplotlib.__version__}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(gpus: GpuMonitor) -> dict[str, str]:
    """CPU, memory and GPUs of this machine."""
    info = {"OS": platform.platform(), "Host": platform.node(),
            "CPU": f"{_cpu_model()}, {psutil.cpu_count(logical=False) or '?'} cores / "
                   f"{os.cpu_count()} threads",
            "RAM": gib(psutil.virtual_memory().total)}
    loads = gpus.sample()
    info["GPUs"] = "; ".join(f"{g.index}: {g.name} ({gib(g.mem_total)})" for g in loads) \
        if loads else gpus.reason
    return info
