"""Scores of a model on a data split: mean loss, top-1/top-5 accuracy, perplexity.

Which scores exist depends on the dataset's task:

- ``classification``: top-1 and (with more than 5 classes) top-5 accuracy.
- ``binary`` (labels -1/+1, one logit): top-1 accuracy of the logit's sign.
- ``next_token``: top-1/top-5 accuracy over all non-padding target tokens and the perplexity
  ``exp(mean cross-entropy per token)``.
- ``regression``: none (the loss only).

Chunks bound the memory of the forward passes (a whole CIFAR test set at once would not fit a
small GPU); the loss is averaged over samples (tokens for ``next_token``), as the losses are.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch

CHUNK = 1024
IGNORE = -100  # padding targets of next-token datasets (torch's cross_entropy ignore_index)
SCORES = ["top1_acc", "top5_acc", "perplexity"]


def score_names(task: str, output_dim: int) -> list[str]:
    """The scores defined for a dataset's task, in the order of :data:`SCORES`."""
    if task == "classification":
        return ["top1_acc"] + (["top5_acc"] if output_dim > 5 else [])
    if task == "binary":
        return ["top1_acc"]
    if task == "next_token":
        return list(SCORES)
    return []


def target_count(targets: torch.Tensor, task: str) -> int:
    """How many targets the loss averages over: samples, or non-padding tokens."""
    return int((targets != IGNORE).sum()) if task == "next_token" else targets.shape[0]


def chunks(n: int) -> Iterator[slice]:
    """Consecutive slices of at most :data:`CHUNK` samples covering ``range(n)``."""
    return (slice(a, min(a + CHUNK, n)) for a in range(0, n, CHUNK))


def _hits(pred: torch.Tensor, targets: torch.Tensor, task: str) -> tuple[int, int]:
    """Top-1 and top-5 hits of one chunk of predictions."""
    if task == "binary":
        return int(((pred.reshape(-1) > 0) == (targets.reshape(-1) > 0)).sum()), 0
    if task == "next_token":
        keep = targets != IGNORE
        pred, targets = pred.transpose(1, 2)[keep], targets[keep]
    top1 = int((pred.argmax(1) == targets).sum())
    k = min(5, pred.shape[1])
    top5 = int((pred.topk(k, 1).indices == targets.unsqueeze(1)).any(1).sum())
    return top1, top5


def _perplexity(loss: float) -> float:
    """exp(loss); inf for a diverged run (exp overflows past ~709.78), NaN for NaN."""
    if loss != loss:
        return math.nan
    return math.exp(loss) if loss < math.log(1.7976931348623157e308) else math.inf


@torch.no_grad()
def scores(oracle: Any, x: torch.Tensor, buffers: torch.Tensor | None, inputs: torch.Tensor,
           targets: torch.Tensor, task: str, names: list[str]) -> dict[str, float]:
    """``loss`` (mean data loss, no regularizer) and the requested scores, in eval mode."""
    loss_sum, count, top1, top5 = 0.0, 0, 0, 0
    for part in chunks(inputs.shape[0]):
        t = targets[part]
        k = target_count(t, task)
        if k == 0:
            continue
        pred = oracle.predict(x, inputs[part], buffers)
        loss_sum += float(oracle.loss(pred, t)) * k
        count += k
        if names:
            h1, h5 = _hits(pred, t, task)
            top1, top5 = top1 + h1, top5 + h5
    loss = loss_sum / count if count else math.nan
    out = {"loss": loss}
    values = {"top1_acc": top1 / max(count, 1), "top5_acc": top5 / max(count, 1),
              "perplexity": _perplexity(loss)}
    out.update({name: values[name] for name in names})
    return out
