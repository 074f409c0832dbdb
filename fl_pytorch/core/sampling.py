"""Client sampling per round, drawn from the server's random stream of that round."""

from __future__ import annotations

import math

import torch

from ..errors import ConfigError


def sample_clients(kind: str, num_clients: int, per_round: int, p: float,
                   generator: torch.Generator) -> list[int]:
    """Sorted ids of the round's participants.

    uniform: ``per_round`` clients without replacement; poisson: each client independently
    with probability p (possibly none); poisson-no-empty: poisson conditioned on at least one
    client (:func:`poisson_no_empty`); full: all clients.
    """
    if kind == "full":
        return list(range(num_clients))
    if kind == "uniform":
        return sorted(torch.randperm(num_clients, generator=generator)[:per_round].tolist())
    if kind == "poisson":
        mask = torch.rand(num_clients, generator=generator, dtype=torch.float64) < p
        return torch.nonzero(mask).flatten().tolist()
    if kind == "poisson-no-empty":
        return poisson_no_empty(num_clients, p, generator)
    raise ValueError(f"unknown sampling {kind!r}")


def poisson_no_empty(num_clients: int, p: float, generator: torch.Generator) -> list[int]:
    """Poisson sampling conditioned on a non-empty sample, drawn exactly without rejection.

    The original tool redrew until a sample was non-empty (endless for tiny p). Here the first
    participant J is drawn from its conditional law, P(J = j) = p (1-p)^j / (1 - (1-p)^n), by
    inverting its distribution function; every later client joins with probability p.
    """
    u = torch.rand(num_clients + 1, generator=generator, dtype=torch.float64).tolist()
    if p >= 1.0:
        return list(range(num_clients))
    log_q = math.log1p(-p)
    nonempty = -math.expm1(num_clients * log_q)  # 1 - (1-p)^n
    first = min(num_clients - 1, int(math.log1p(-u[0] * nonempty) / log_q))
    return [first] + [i for i in range(first + 1, num_clients) if u[i + 1] < p]


def check_sampling(kind: str, num_clients: int, per_round: int) -> None:
    """Reject more clients per round than clients (the original tool did not check this)."""
    if kind == "uniform" and per_round > num_clients:
        raise ConfigError(f"--num-clients-per-round: invalid value {per_round}; the dataset has "
                          f"only {num_clients} clients (valid: 1..{num_clients})")
