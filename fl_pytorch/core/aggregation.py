"""Aggregation of the round's client results, in client-id order (the engine's step 4)."""

from __future__ import annotations

import numpy as np
import torch

from ..utils.lists import float64_tensor, int64_tensor
from .local import BatchResult, ClientResult

Results = list[ClientResult | BatchResult]


def _weights(results: Results, weights: torch.Tensor, id_order: bool = False
             ) -> tuple[list[float | list[float]], float]:
    """Each result's w_i (a list for a batch) as Python floats, and their sum.

    The sum is accumulated in the order of the results, or in client-id order with
    ``id_order`` (batches may come grouped in another order).
    """
    ids = [i for r in results for i in (r.client_ids if isinstance(r, BatchResult)
                                        else (r.client_id,))]
    flat = weights[int64_tensor(ids, weights.device)].tolist()
    out: list[float | list[float]] = []
    at = 0
    for r in results:
        size = len(r.client_ids) if isinstance(r, BatchResult) else 1
        out.append(flat[at:at + size] if isinstance(r, BatchResult) else flat[at])
        at += size
    total = 0.0
    for j in (sorted(range(len(ids)), key=ids.__getitem__) if id_order else range(len(ids))):
        total += flat[j]  # one by one: a batch's total is its clients' total to the last bit
    return out, total


def weighted_mean(results: Results, weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Sum_i w_i m_i / sum_i w_i over the round's clients, accumulated in client-id order.

    A ``summed`` result (a remote worker's pre-weighted sum) is added as it is. A batch's rows
    are weighted with one product, then added one by one in client-id order, so that the sum is
    the one of the same messages as single results, to the last bit, however the clients were
    grouped into batches (locally or on remote workers).
    """
    batched = any(isinstance(r, BatchResult) for r in results)
    w, total = _weights(results, weights, id_order=batched)
    if not batched:
        agg: dict[str, torch.Tensor] = {}
        for wi, r in zip(w, results):
            for key, value in r.message.items():
                _accumulate(agg, key, value if r.summed else value * (wi / total), value)
        return agg
    return _ordered_rows_mean(results, w, total)


def _accumulate(agg: dict[str, torch.Tensor], key: str, term: torch.Tensor,
                value: torch.Tensor) -> None:
    if key not in agg:
        agg[key] = term.clone() if term is value else term
    else:
        agg[key].add_(term)  # the same sum as agg + term, without a new tensor


def _ordered_rows_mean(results: Results, w: list, total: float) -> dict[str, torch.Tensor]:
    """:func:`weighted_mean` of results with batches: every client's term, in client-id order."""
    ids: list[int] = []
    blocks: dict[str, list[torch.Tensor]] = {}
    for wi, r in zip(w, results):
        if isinstance(r, BatchResult):
            ids += r.client_ids
            coeff = float64_tensor(wi) / total
            for k, v in r.message.items():
                blocks.setdefault(k, []).append(v * coeff.to(v).reshape(-1, *[1] * (v.dim() - 1)))
        else:
            ids.append(r.client_id)
            for k, v in r.message.items():
                blocks.setdefault(k, []).append((v if r.summed else v * (wi / total))[None])
    order = None if ids == sorted(ids) else int64_tensor(sorted(range(len(ids)),
                                                                key=ids.__getitem__))
    agg: dict[str, torch.Tensor] = {}
    for key, parts in blocks.items():
        terms = parts[0] if len(parts) == 1 else torch.cat(parts)
        agg[key] = sum_rows(terms if order is None else terms[order.to(terms.device)])
    return agg


def sum_rows(terms: torch.Tensor) -> torch.Tensor:
    """``terms[0] + terms[1] + ...`` added in this order, bit for bit as repeated ``add_``.

    In float64 one ``cumsum`` (a sequential sum per column, accumulated in float64), with the
    sign of all-negative-zero columns restored (cumsum starts from +0); other dtypes add row by
    row (cumsum would accumulate float32 in float64).
    """
    if terms.dtype == torch.float64 and len(terms) > 1:
        out = torch.cumsum(terms, 0)[-1]
        return out.masked_fill_(((terms == 0) & torch.signbit(terms)).all(0), -0.0)
    out = terms[0].clone()
    for term in terms[1:]:
        out.add_(term)
    return out


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
