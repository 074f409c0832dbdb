"""Facts about this machine and the versions the GUI runs on (About box, log window)."""

from __future__ import annotations

import os
import platform
import sys

import matplotlib
import numpy as np
from PyQt5.QtCore import PYQT_VERSION_STR, QT_VERSION_STR

import fl_pytorch
from fl_pytorch.tracking.monitor import ResourceSnapshot, torch_versions

LINKS = {
    "FL_PyTorch paper (DistributedML'21)": "https://arxiv.org/abs/2202.03099",
    "PyTorch documentation": "https://pytorch.org/docs/stable/",
    "PyQt5 documentation": "https://www.riverbankcomputing.com/static/Docs/PyQt5/",
}


def gib(megabytes: float) -> str:
    """Megabytes as ``"3.2 GiB"``."""
    return f"{megabytes / 1024:.1f} GiB"


def versions() -> dict[str, str]:
    """Versions of Python, PyTorch, CUDA, Qt, NumPy and friends."""
    return {"FL_PyTorch": fl_pytorch.__version__, "Python": sys.version.split()[0],
            **torch_versions(), "Qt": QT_VERSION_STR,
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


def machine_info(snapshot: ResourceSnapshot) -> dict[str, str]:
    """OS, CPU, memory and GPUs of this machine."""
    gpus = "; ".join(f"{g.index}: {g.name} ({gib(g.memory_total_mb)})" for g in snapshot.gpus)
    return {"OS": platform.platform(), "Host": platform.node(),
            "CPU": f"{_cpu_model()}, {os.cpu_count()} threads",
            "RAM": gib(snapshot.ram_total_mb), "GPUs": gpus or snapshot.gpu_state}
