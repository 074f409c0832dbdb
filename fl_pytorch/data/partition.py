"""Partitioners (``--partition``): split a centralized dataset's samples among clients.

Specs: ``iid`` (a random permutation cut into equal parts), ``equal`` (the same with exactly
floor(N / clients) samples each, the N mod clients leftover samples dropped: uFedNL's split,
e.g. 142 x 350 of w8a's 49749), ``sorted`` (sort by class, cut into
contiguous equal parts; also what ``--sort-dataset-by-class-before-split`` selects), ``shards:S``
(sort by class, cut into ``clients * S`` equal shards, give each client S random shards; McMahan
et al. 2017) and ``dirichlet:ALPHA`` (for every class, split its samples among the clients with
proportions drawn from Dirichlet(ALPHA); Hsu et al. 2019). Every sample goes to at most one
client (to exactly one except with ``equal``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

SPECS = ["iid", "equal", "sorted", "shards:S", "dirichlet:ALPHA"]
OPTION = "--partition"
#: larger alphas split every class evenly already (and overflow the Dirichlet draw)
MAX_ALPHA = 1e6


@dataclass(frozen=True)
class Partition:
    """A parsed ``--partition`` spec: its kind and parameter (shards per client or alpha)."""

    kind: str
    value: float = 0.0

    @property
    def needs_labels(self) -> bool:
        return self.kind not in ("iid", "equal")


def parse_partition(spec: str) -> Partition:
    """Parse ``iid``, ``sorted``, ``shards:S`` or ``dirichlet:ALPHA`` (ConfigError otherwise)."""
    kind, sep, raw = spec.strip().partition(":")
    if kind in ("iid", "equal", "sorted") and not sep:
        return Partition(kind)
    if kind in ("shards", "dirichlet"):
        try:
            value = float(raw) if sep else (2.0 if kind == "shards" else float("nan"))
        except ValueError:
            value = float("nan")
        if kind == "shards" and value >= 1 and value.is_integer():
            return Partition(kind, value)
        if kind == "dirichlet" and 0 < value <= MAX_ALPHA:
            return Partition(kind, value)
        need = "a whole number of shards per client >= 1" if kind == "shards" \
            else f"a concentration alpha > 0 and <= {MAX_ALPHA:g}, e.g. dirichlet:0.5 " \
            "(iid splits evenly)"
        raise ConfigError(f"{OPTION}: invalid value {spec!r}; {kind} needs {need}")
    raise ConfigError(f"{OPTION}: invalid value {spec!r}; valid: {', '.join(SPECS)}")


def split(partition: Partition, num_samples: int, num_clients: int,
          labels: np.ndarray | None, rng: np.random.Generator) -> list[np.ndarray]:
    """Sample indices of each client (every index in at most one client, none empty)."""
    if num_clients > num_samples:
        raise ConfigError(f"--num-clients: invalid value {num_clients}; the dataset has only "
                          f"{num_samples} training samples")
    if partition.kind == "iid":
        return np.array_split(rng.permutation(num_samples), num_clients)
    if partition.kind == "equal":
        each = num_samples // num_clients
        return list(rng.permutation(num_samples)[:each * num_clients].reshape(num_clients, each))
    assert labels is not None
    if partition.kind == "sorted":
        return np.array_split(np.argsort(labels, kind="stable"), num_clients)
    if partition.kind == "shards":
        return _shards(labels, num_clients, int(partition.value), rng)
    return _dirichlet(labels, num_clients, partition.value, rng)


def _shards(labels: np.ndarray, k: int, per_client: int, rng: np.random.Generator
            ) -> list[np.ndarray]:
    if k * per_client > len(labels):
        raise ConfigError(f"{OPTION}: invalid value 'shards:{per_client}'; {k} clients x "
                          f"{per_client} shards exceed the {len(labels)} training samples")
    by_class = rng.permutation(len(labels))
    by_class = by_class[np.argsort(labels[by_class], kind="stable")]
    shards = np.array_split(by_class, k * per_client)
    owner = rng.permutation(k * per_client).reshape(k, per_client)
    return [np.concatenate([shards[j] for j in row]) for row in owner]


def _dirichlet(labels: np.ndarray, k: int, alpha: float, rng: np.random.Generator
               ) -> list[np.ndarray]:
    parts: list[list[np.ndarray]] = [[] for _ in range(k)]
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        cuts = (np.cumsum(rng.dirichlet(np.full(k, alpha))) * len(members)).astype(int)[:-1]
        for client, chunk in enumerate(np.split(members, cuts)):
            parts[client].append(chunk)
    out = [np.concatenate(p) for p in parts]
    for client in range(k):  # no client may be empty: take one sample from the largest
        if len(out[client]) == 0:
            donor = int(np.argmax([len(p) for p in out]))
            out[client], out[donor] = out[donor][-1:], out[donor][:-1]
    return out
