"""Minibatch plans of the local gradient estimators (``internal_sgd``).

A plan is the list of index tensors, one per local step (None = all local samples). Epoch mode
(default) walks shuffled passes over the local data; ``--run-local-steps`` draws a fresh batch
without replacement at every step.
"""

from __future__ import annotations

import math

import torch


def batch_size_of(estimator: str, n: int, batch_size: int, tau: str) -> int | None:
    """Samples per step (None = full local gradient)."""
    if estimator == "full-gradient":
        return None
    if estimator == "sgd":
        size = batch_size
    else:  # sgd-nice
        size = max(1, round(float(tau[:-1]) / 100 * n)) if tau.endswith("%") else int(tau)
    return None if size >= n else size


def local_plan(estimator: str, n: int, batch_size: int, tau: str, iters: int, steps_mode: bool,
               generator: torch.Generator) -> list[torch.Tensor | None]:
    """The round's batches of one client with n samples."""
    size = batch_size_of(estimator, n, batch_size, tau)
    if size is None:
        return [None] * iters
    if steps_mode:
        return [torch.randperm(n, generator=generator)[:size] for _ in range(iters)]
    plan: list[torch.Tensor | None] = []
    for _ in range(iters):
        perm = torch.randperm(n, generator=generator)
        plan += [perm[i * size:(i + 1) * size] for i in range(math.ceil(n / size))]
    return plan


def steps_per_round(estimator: str, n: int, batch_size: int, tau: str, iters: int,
                    steps_mode: bool) -> int:
    """How many local steps :func:`local_plan` gives a client with n samples."""
    size = batch_size_of(estimator, n, batch_size, tau)
    if size is None or steps_mode:
        return iters
    return iters * math.ceil(n / size)
