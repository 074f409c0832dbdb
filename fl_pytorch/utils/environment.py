"""Environment facts stored with every result (versions, host, devices)."""

from __future__ import annotations

import platform
import socket
import sys

import numpy as np
import torch


def environment_info(devices: list[str]) -> dict[str, object]:
    """Versions and host of this run, as plain data."""
    return {
        "python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__,
        "cuda": torch.version.cuda or "", "platform": platform.platform(),
        "hostname": socket.gethostname(), "devices": devices,
    }
