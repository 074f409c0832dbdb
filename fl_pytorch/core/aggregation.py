"""Aggregation of the round's client results, in client-id order (the engine's step 4)."""

from __future__ import annotations

import numpy as np
import torch

from ..utils.lists import float64_tensor, int64_tensor
from .local import BatchResult, ClientResult

Results = list[ClientResult | BatchResult]


def _weights(results: Results, weights: torch.Tensor) -> tuple[list[float | list[float]], float]:
    """Each result's w_i (a list for a batch) as Python floats, and their sum in client order."""
    ids = [i for r in results for i in (r.client_ids if isinstance(r, BatchResult)
                                        else (r.client_id,))]
    flat = weights[int64_tensor(ids, weights.device)].tolist()
    out: list[float | list[float]] = []
    total, at = 0.0, 0
    for r in results:
        if isinstance(r, BatchResult):
            w = flat[at:at + len(r.client_ids)]
            at += len(w)
            total += sum(w)
        else:
            w = flat[at]
            at += 1
            total += w
        out.append(w)
    return out, total


def weighted_mean(results: Results, weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Sum_i w_i m_i / sum_i w_i over the round's clients, accumulated in client-id order.

    A ``summed`` result (a remote worker's pre-weighted sum) is added as it is; a batch adds
    ``sum_j (w_j / W) m_j`` of its rows (one product).
    """
    w, total = _weights(results, weights)
    agg: dict[str, torch.Tensor] = {}
    for wi, r in zip(w, results):
        coeff = float64_tensor(wi) / total if isinstance(r, BatchResult) else None
        for key, value in r.message.items():
            if coeff is not None:
                term = (coeff.to(value) @ value.reshape(len(wi), -1)).reshape(value.shape[1:])
            else:
                term = value if r.summed else value * (wi / total)
            if key not in agg:
                agg[key] = term.clone() if term is value else term
            else:
                agg[key].add_(term)  # the same sum as agg + term, without a new tensor
    return agg


def mean_buffers(results: Results, weights: torch.Tensor, buffers: torch.Tensor
                 ) -> torch.Tensor:
    """The clients' batch-norm statistics, averaged with the weights of their messages.

    FedAvg's choice: buffers are averaged like parameters. ``buffers`` itself when the model has
    none.
    """
    if not buffers.numel() or not results:
        return buffers

    def as_message(r: ClientResult | BatchResult) -> ClientResult | BatchResult:
        b = {} if r.buffers is None else {"b": r.buffers}
        if isinstance(r, BatchResult):
            return BatchResult(r.client_ids, b, {}, r.bits_up, r.oracle_full, r.oracle_samples)
        return ClientResult(r.client_id, b, {}, 0, 0, 0, summed=r.summed)
    return weighted_mean([as_message(r) for r in results], weights)["b"]


def model_state(x: torch.Tensor, buffers: torch.Tensor) -> torch.Tensor:
    """What evaluation needs: ``[x | buffers]`` (just ``x`` for models without buffers)."""
    return torch.cat([x, buffers]) if buffers.numel() else x


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A NumPy copy of ``t`` (bfloat16, which NumPy lacks, as float32: exact)."""
    t = t.detach().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()
