"""Minibatch plans of the local gradient estimators (``--algorithm-options internal_sgd:...``).

A plan is the list of index tensors, one per local step (None = all local samples). With
``--run-local-steps`` a round has ``-li`` steps; otherwise ``-li`` epochs of ``ceil(n / size)``
steps each (the original tool's conversion, size = tau, or -b for ``sgd``). Per step:

- ``full-gradient``: all n local samples.
- ``sgd`` (this tool's): epoch mode walks shuffled passes over the data in batches of -b; step mode
  draws -b samples without replacement at every step.
- ``sgd-nice``: tau samples without replacement, drawn afresh at every step (tau-nice sampling).
- ``sgd-us``: one sample, uniformly at random, at every step.
- ``sgd-multi``: tau samples with replacement at every step.
- ``iterated-minibatch``: consecutive blocks of tau samples of a permutation of the local data;
  ``reshuffle`` says where the permutation comes from: ``each_round`` (a new one every round),
  ``once_per_client`` (drawn at the client's first round, reused in every later round), or
  ``until_exhausted`` (the blocks continue across rounds through one permutation; a new one is
  drawn when fewer samples are left than the round needs). Blocks wrap around the end of the
  permutation (the original took an empty slice there instead).

tau is a count or ``P%`` of the n local samples, ``ceil(P/100 * n)`` as in the original, at least 1
and at most n. Randomness comes from the client's generator of the round.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import torch

ESTIMATORS = ["full-gradient", "sgd", "sgd-nice", "sgd-us", "sgd-multi", "iterated-minibatch"]
RESHUFFLES = ["each_round", "once_per_client", "until_exhausted"]
#: client-state key of the permutation that once_per_client / until_exhausted keep across rounds
PERMUTATION_KEY = "iterated_minibatch_permutation"

Plan = list[torch.Tensor | None]


def tau_samples(tau: str, n: int) -> int:
    """Tau in samples: a count, or ``ceil(P/100 * n)`` for ``P%`` (exact decimal arithmetic)."""
    count = math.ceil(Fraction(tau[:-1]) * n / 100) if tau.endswith("%") else int(tau)
    return max(1, min(n, count))


def batch_size_of(estimator: str, n: int, batch_size: int, tau: str) -> int | None:
    """Samples per step (None = the full local gradient)."""
    if estimator == "full-gradient":
        return None
    if estimator == "sgd-us":
        return 1
    size = batch_size if estimator == "sgd" else tau_samples(tau, n)
    if estimator == "sgd-multi":
        return size
    return None if size >= n else size


def steps_of(estimator: str, n: int, batch_size: int, tau: str, iters: int,
             steps_mode: bool) -> int:
    """Local steps of a round: ``iters`` steps, or ``iters`` epochs of ceil(n / size) steps."""
    if steps_mode or estimator == "full-gradient":
        return iters
    size = batch_size if estimator == "sgd" else tau_samples(tau, n)
    return iters * math.ceil(n / min(size, n))


def local_plan(estimator: str, n: int, batch_size: int, tau: str, iters: int, steps_mode: bool,
               generator: torch.Generator) -> Plan:
    """The round's batches of one client with n samples, for the estimators without state.

    ``iterated-minibatch`` draws its permutation every round (``reshuffle:each_round``).
    """
    options = {"internal_sgd": estimator, "tau": tau, "reshuffle": "each_round"}
    return client_plan(options, n, batch_size, iters, steps_mode, generator, {})[0]


def client_plan(options: dict[str, Any], n: int, batch_size: int, iters: int, steps_mode: bool,
                generator: torch.Generator, state: dict[str, torch.Tensor]
                ) -> tuple[Plan, dict[str, torch.Tensor]]:
    """The round's batches of one client, and the client-state entries to keep for later rounds.

    ``state`` is the client's persistent state (its :data:`PERMUTATION_KEY` entry, if any);
    the returned updates belong in the client's new state (only ``iterated-minibatch`` with a
    stateful ``reshuffle`` returns any).
    """
    estimator, tau = options["internal_sgd"], options["tau"]
    size = batch_size_of(estimator, n, batch_size, tau)
    steps = steps_of(estimator, n, batch_size, tau, iters, steps_mode)
    if size is None and estimator != "iterated-minibatch":
        return [None] * steps, {}
    if estimator == "sgd":
        return _sgd_plan(n, size, iters, steps_mode, generator), {}
    if estimator == "sgd-nice":
        return [torch.randperm(n, generator=generator)[:size] for _ in range(steps)], {}
    if estimator in ("sgd-us", "sgd-multi"):
        return [torch.randint(n, (size,), generator=generator) for _ in range(steps)], {}
    return _iterated_plan(options.get("reshuffle", "each_round"), n, tau_samples(tau, n), steps,
                          generator, state)


def fixed_plan(options: dict[str, Any], sizes: list[int], batch_size: int, iters: int,
               steps_mode: bool) -> dict[int, Plan] | None:
    """The plan of clients of each size in ``sizes`` when the estimator draws nothing.

    (``full-gradient``, or a minibatch as large as the client's data); None when it draws.
    """
    estimator, tau = options["internal_sgd"], options["tau"]
    if estimator == "iterated-minibatch":
        return None
    plans = {}
    for n in set(sizes):
        if batch_size_of(estimator, n, batch_size, tau) is not None:
            return None
        plans[n] = [None] * steps_of(estimator, n, batch_size, tau, iters, steps_mode)
    return plans


def _sgd_plan(n: int, size: int, iters: int, steps_mode: bool, generator: torch.Generator
              ) -> Plan:
    if steps_mode:
        return [torch.randperm(n, generator=generator)[:size] for _ in range(iters)]
    plan: Plan = []
    for _ in range(iters):
        perm = torch.randperm(n, generator=generator)
        plan += [perm[i * size:(i + 1) * size] for i in range(math.ceil(n / size))]
    return plan


def _iterated_plan(reshuffle: str, n: int, tau: int, steps: int, generator: torch.Generator,
                   state: dict[str, torch.Tensor]) -> tuple[Plan, dict[str, torch.Tensor]]:
    """Consecutive tau-blocks of the permutation that ``reshuffle`` selects."""
    need = steps * tau
    kept = state.get(PERMUTATION_KEY)
    if reshuffle == "once_per_client" and kept is not None:
        source = kept
    elif reshuffle == "until_exhausted" and kept is not None and kept.numel() >= need:
        source = kept
    else:
        source = torch.randperm(n, generator=generator)
    positions = torch.arange(need) % source.numel()
    source = source.to(positions.device)
    plan: Plan = [source[positions[i * tau:(i + 1) * tau]] for i in range(steps)]
    if reshuffle == "once_per_client":
        return plan, {PERMUTATION_KEY: source}
    if reshuffle == "until_exhausted":
        return plan, {PERMUTATION_KEY: source[need:]}
    return plan, {}
