"""Aggregation of the round's client results, in client-id order (the engine's step 4)."""

from __future__ import annotations

import numpy as np
import torch

from .local import ClientResult


def weighted_mean(results: list[ClientResult], weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Sum_i w_i m_i / sum_i w_i over the round's clients, accumulated in client-id order.

    A ``summed`` result (a remote worker's pre-weighted sum) is added as it is.
    """
    w = [float(weights[r.client_id]) for r in results]
    total = sum(w)
    agg: dict[str, torch.Tensor] = {}
    for wi, r in zip(w, results):
        for key, value in r.message.items():
            term = value if r.summed else value * (wi / total)
            agg[key] = term if key not in agg else agg[key] + term
    return agg


def mean_buffers(results: list[ClientResult], weights: torch.Tensor, buffers: torch.Tensor
                 ) -> torch.Tensor:
    """The clients' batch-norm statistics, averaged with the weights of their messages.

    FedAvg's choice: buffers are averaged like parameters. ``buffers`` itself when the model has
    none.
    """
    if not buffers.numel() or not results:
        return buffers
    return weighted_mean([ClientResult(r.client_id, {} if r.buffers is None else {"b": r.buffers},
                                       {}, 0, 0, 0, summed=r.summed)
                          for r in results], weights)["b"]


def model_state(x: torch.Tensor, buffers: torch.Tensor) -> torch.Tensor:
    """What evaluation needs: ``[x | buffers]`` (just ``x`` for models without buffers)."""
    return torch.cat([x, buffers]) if buffers.numel() else x


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A NumPy copy of ``t`` (bfloat16, which NumPy lacks, as float32: exact)."""
    t = t.detach().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()
