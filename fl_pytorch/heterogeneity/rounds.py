"""Simulated round time, client dropout and deadlines for a federation of devices.

The devices come from ``profiles.py``; ``--client-dropout`` and ``--round-deadline`` set the
rest.

A participant ``i`` of round ``t`` that is not dropped takes

    T_i = (latency_i + bits_down_i / down_bps_i)            download of the broadcast
        + steps_i * step_flops_i / flops_i                  local computation
        + (latency_i + bits_up_i / up_bps_i)                upload of its (compressed) message

with the bits the run actually counted. With a deadline D > 0, a client with T_i > D misses it:
the server closes the round at D and ignores that client. The round lasts D if anyone missed it,
else max T_i over the clients kept (0 when none is). A sampled client drops out with probability
``--client-dropout``, decided by a coin of (seed, round, client) alone; a dropped client is
unavailable when the round starts (it receives nothing, computes nothing, costs no time). The
engine treats dropped and late clients exactly as clients that were not sampled (see
docs/heterogeneity.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .profiles import Profile, build_profile
from .streams import DROPOUT, uniforms

SYSTEM_METRICS = ["sim_time", "sim_time_cum", "clients_dropped", "clients_late"]
"""Row metrics of the system model: round time (s), its running sum, dropped and late clients."""


def training_flops(dim: int, samples: float) -> float:
    """FLOPs of a training pass over ``samples`` samples of a ``dim``-parameter model.

    The usual estimate: forward ~ 2 * dim per sample, backward ~ twice the forward.
    """
    return 6.0 * dim * samples


@dataclass(frozen=True)
class ClientWork:
    """A participant's round as the engine counted it: local steps, FLOPs per step, bits."""

    steps: int
    step_flops: float
    bits_up: int
    bits_down: int

    @property
    def flops(self) -> float:
        return self.steps * self.step_flops


@dataclass(frozen=True)
class WorkArrays:
    """The participants' work of a round as arrays: client ids, FLOPs, bits up and down."""

    ids: np.ndarray
    flops: np.ndarray
    bits_up: np.ndarray
    bits_down: np.ndarray


@dataclass(frozen=True)
class RoundTiming:
    """The system's view of one round.

    Attributes:
        sim_time: simulated duration of the round (s).
        kept: participants whose messages the server uses, in client-id order.
        dropped: sampled clients that were unavailable.
        late: clients that finished after the deadline.
        client_time: T_i of every participant that was not dropped.
    """

    sim_time: float
    kept: list[int]
    dropped: list[int]
    late: list[int]
    client_time: dict[int, float] = field(default_factory=dict)

    def row(self, sim_time_before: float) -> dict[str, float]:
        """The round's values of :data:`SYSTEM_METRICS`, given the cumulative time before it."""
        return {"sim_time": self.sim_time, "sim_time_cum": sim_time_before + self.sim_time,
                "clients_dropped": len(self.dropped), "clients_late": len(self.late)}


INITIAL_ROW = RoundTiming(0.0, [], [], []).row(0.0)
"""Row 0 (the initial point): no time has passed, nobody dropped."""


class SystemModel:
    """Device profile + dropout probability + deadline of a run, deterministic from ``seed``.

    Args:
        profile: the clients' devices.
        dropout: probability that a sampled client is unavailable in a round, in [0, 1).
        deadline: seconds after which a round closes (0: none).
        seed: seed of the dropout coins (the run's runtime seed).
    """

    def __init__(self, profile: Profile, dropout: float = 0.0, deadline: float = 0.0,
                 seed: int = 0):
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout {dropout!r} must be in [0, 1)")
        if not deadline >= 0:
            raise ValueError(f"deadline {deadline!r} must be >= 0")
        self.profile, self.dropout, self.deadline, self.seed = profile, dropout, deadline, seed

    @classmethod
    def from_config(cls, config: Any, num_clients: int) -> SystemModel:
        """The model of a run's options.

        Its devices come from ``--manual-init-seed`` (the federation is fixed like the data and
        x0), its dropout coins from ``--manual-runtime-seed``.
        """
        profile = build_profile(config.client_profile, num_clients, config.manual_init_seed)
        return cls(profile, config.client_dropout, config.round_deadline,
                   config.manual_runtime_seed)

    def dropped(self, round_index: int, clients: Iterable[int]) -> list[int]:
        """The clients of ``clients`` that are unavailable in round ``round_index``."""
        ids = np.fromiter(clients, dtype=np.int64)
        if not self.dropout or not ids.size:
            return []
        coins = uniforms(self.seed, round_index, ids, DROPOUT)
        return sorted(int(i) for i in ids[coins < self.dropout])

    def client_time(self, client: int, work: ClientWork) -> float:
        """T_i: download, computation and upload of ``client`` doing ``work``."""
        p = self.profile
        download = p.latency_s[client] + work.bits_down / p.down_bps[client]
        upload = p.latency_s[client] + work.bits_up / p.up_bps[client]
        return float(download + work.flops / p.flops[client] + upload)

    def round_timing(self, round_index: int, sampled: Sequence[int],
                     work: Mapping[int, ClientWork]) -> RoundTiming:
        """Dropped, late and kept clients of a round and its simulated duration.

        Args:
            round_index: the round (0-based, as the engine counts).
            sampled: the clients the round sampled (dropped ones included).
            work: the work of every sampled client that is not dropped (others are ignored).

        Raises:
            ValueError: a client that is not dropped has no entry in ``work``.
        """
        ids = list(work)
        return self.round_timing_of_arrays(round_index, sampled, WorkArrays(
            np.asarray(ids, dtype=np.int64),
            np.array([work[i].flops for i in ids], dtype=np.float64),
            np.array([work[i].bits_up for i in ids], dtype=np.int64),
            np.array([work[i].bits_down for i in ids], dtype=np.int64)))

    def round_timing_of_arrays(self, round_index: int, sampled: Sequence[int],
                               work: WorkArrays) -> RoundTiming:
        """:meth:`round_timing` with the work as arrays (one entry per participant)."""
        dropped = self.dropped(round_index, sampled)
        gone = set(dropped)
        present = np.array(sorted(i for i in sampled if i not in gone), dtype=np.int64)
        order = np.argsort(work.ids, kind="stable")
        at = np.searchsorted(work.ids[order], present).clip(max=max(len(order) - 1, 0))
        found = work.ids[order][at] == present if len(order) else np.zeros(len(present), bool)
        if not found.all():
            missing = int(present[np.flatnonzero(~found)[0]])
            raise ValueError(f"round {round_index}: no work given for client {missing}")
        row, p = order[at], self.profile
        download = p.latency_s[present] + work.bits_down[row] / p.down_bps[present]
        upload = p.latency_s[present] + work.bits_up[row] / p.up_bps[present]
        times = download + work.flops[row] / p.flops[present] + upload
        is_late = times > self.deadline if self.deadline else np.zeros(len(present), bool)
        late, kept = present[is_late].tolist(), present[~is_late].tolist()
        duration = self.deadline if late else (float(times[~is_late].max()) if kept else 0.0)
        return RoundTiming(duration, kept, dropped, late, dict(zip(present.tolist(),
                                                                   times.tolist())))

    def describe(self) -> dict[str, Any]:
        """Plain data for the result file: the profile's arrays, dropout and deadline."""
        return {**self.profile.to_plain(), "dropout": self.dropout, "deadline": self.deadline}


def deadline_for_fraction(times: Sequence[float], fraction: float) -> float:
    """A deadline that the slowest ``fraction`` of clients with these ``times`` miss.

    Halfway between the fastest client that misses it and the slowest that meets it.

    Raises:
        ValueError: ``fraction`` outside (0, 1) or fewer than two times.
    """
    if not 0 < fraction < 1 or len(times) < 2:
        raise ValueError("need 0 < fraction < 1 and at least two client times")
    ordered = np.sort(np.asarray(times, dtype=np.float64))
    late = max(1, int(round(fraction * len(ordered))))
    return float((ordered[-late - 1] + ordered[-late]) / 2)
