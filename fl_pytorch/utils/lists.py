"""Python lists to tensors, fast.

``torch.tensor(list)`` converts element by element; through NumPy it takes 8 us instead of
30-60 us for 100 numbers, which matters when it happens for every group of clients every step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def int64_tensor(values: Sequence[int], device: torch.device | None = None) -> torch.Tensor:
    """``values`` as an int64 tensor (on ``device``; the CPU by default)."""
    t = torch.from_numpy(np.asarray(values, dtype=np.int64).reshape(-1))
    return t if device is None else t.to(device)


def float64_tensor(values: Sequence[float]) -> torch.Tensor:
    """``values`` as a float64 CPU tensor."""
    return torch.from_numpy(np.asarray(values, dtype=np.float64).reshape(-1))
