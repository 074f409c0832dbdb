"""Client sampling per round, drawn from the server's random stream of that round."""

from __future__ import annotations

import torch

from ..errors import ConfigError


def sample_clients(kind: str, num_clients: int, per_round: int, p: float,
                   generator: torch.Generator) -> list[int]:
    """Sorted ids of the round's participants.

    uniform: ``per_round`` clients without replacement; poisson: each client independently
    with probability p (possibly none); full: all clients.
    """
    if kind == "full":
        return list(range(num_clients))
    if kind == "uniform":
        return sorted(torch.randperm(num_clients, generator=generator)[:per_round].tolist())
    if kind == "poisson":
        mask = torch.rand(num_clients, generator=generator, dtype=torch.float64) < p
        return torch.nonzero(mask).flatten().tolist()
    raise ValueError(f"unknown sampling {kind!r}")


def check_sampling(kind: str, num_clients: int, per_round: int) -> None:
    """Reject more clients per round than clients (the original tool did not check this)."""
    if kind == "uniform" and per_round > num_clients:
        raise ConfigError(f"--num-clients-per-round: invalid value {per_round}; the dataset has "
                          f"only {num_clients} clients (valid: 1..{num_clients})")
