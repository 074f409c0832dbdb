"""``--external-devices``: the clients of every round run on remote workers (docs/remote.md).

A round executor (``base.RoundExecutor``): the engine hands it the round's plan, which travels
as tensors and JSON to the workers that own the round's clients (``distributed/``). Each worker
runs the engine's ``run_client`` for its clients and sends their messages back; the engine then
aggregates in client-id order exactly as it does locally, so per-client messages give
bit-identical results. Client states stay on the worker that owns the client; they are pushed
there after a resume and collected into the engine's store for checkpoints.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.client_state import ClientStateStore
from ..core.local import ClientResult, RoundAborted, RoundPlan
from ..execution.base import ClientTaskError
from ..utils.addresses import owners, parse_external_devices
from .auth import load_secret
from .frames import ProtocolError
from .master import Cluster, WorkerFailed, WorkerLost
from .protocol import (
    decode_results,
    decode_states,
    encode_plan,
    encode_states,
    fingerprint,
)


@dataclass(frozen=True)
class RoundCost:
    """What one remote round cost the master (measured, not simulated)."""

    seconds: float  # from sending the plan to the last result decoded
    compute: float  # the slowest worker's time in its clients' computation
    bytes: int  # control frames and tensors, sent and received, all workers

    @property
    def overhead(self) -> float:
        """Seconds the protocol added: (de)serialization, transfers, latency."""
        return self.seconds - self.compute


class RemoteExecutor:
    """Runs each round's clients on the workers of ``config.external_devices``."""

    name = "remote"

    def __init__(self, config: Any):
        self.config = config
        self.workers = parse_external_devices(config.external_devices)
        self.secret = load_secret(config.remote_secret_file, "--remote-secret-file")
        self._cluster: Cluster | None = None
        self._sim: Any = None
        self._owner: list[int] = []
        self._pushed = False
        self._dirty = False  # workers hold client states newer than the engine's store
        self._broken = False
        self._executors: dict[str, str] = {}  # worker name -> its executor, as it says
        self.costs: list[RoundCost] = []

    def start(self, sim: Any) -> None:
        """Connect to every worker and set the run up (they build the same problem)."""
        cfg = self.config
        self._sim = sim
        self._owner = owners(self.workers, sim.num_clients)
        self._cluster = Cluster(self.workers, self.secret, cfg.master_addr, cfg.master_port,
                                cfg.remote_timeout)
        try:
            self._cluster.connect(cfg.to_dict(), cfg.remote_messages, fingerprint(sim))
        except BaseException:
            self._broken = True
            raise
        for link in self._cluster.links:
            self._executors[link.spec.name] = link.executor

    def run_round(self, plan: RoundPlan, client_ids: Sequence[int], store: ClientStateStore
                  ) -> list[ClientResult]:
        """Send the plan to the owners of ``client_ids``; their results in that order.

        Raises:
            RoundAborted: a worker was lost (named in the message); the engine's state is still
                that of the last completed round.
            ClientTaskError: a worker reported that a client's hook failed.
        """
        cluster = self._cluster
        participants = list(client_ids)
        by_worker: dict[int, list[int]] = {}
        for i in participants:
            by_worker.setdefault(self._owner[i], []).append(i)
        header, tensors = encode_plan(plan, [], participants)
        began, traffic = time.perf_counter(), cluster.traffic()
        lost = failed = None
        try:
            if not self._pushed:
                self._push(store)
            cluster.send_round({k: {**header, "clients": ids} for k, ids in by_worker.items()},
                               tensors)
            replies = cluster.gather("results", by_worker, plan.round)
            results: dict[int, ClientResult] = {}
            stateful, compute = False, 0.0
            for k, (reply, payload) in replies.items():
                decoded, has_state, seconds = self._decode(k, reply, payload, by_worker[k])
                results.update((r.client_id, r) for r in decoded)
                stateful, compute = stateful or has_state, max(compute, seconds)
        except WorkerLost as e:
            lost = str(e)
        except WorkerFailed as e:
            failed = str(e)
        # Raised out here, the errors keep no traceback alive: a pending Gloo operation in one
        # of its frames would hold the group open and leave the surviving workers waiting.
        if lost is not None or failed is not None:
            self._broken = True
            if failed is not None:
                raise ClientTaskError(failed)
            raise RoundAborted(f"round {plan.round}: {lost}{self._loss_note()}",
                               resumable=not self._dirty)
        self._dirty |= stateful
        self.costs.append(RoundCost(time.perf_counter() - began, compute,
                                    cluster.traffic() - traffic))
        return [results[i] for i in participants]

    def _decode(self, k: int, reply: dict[str, Any], payload: list, clients: list[int]
                ) -> tuple[list[ClientResult], bool, float]:
        """(worker k's results, whether any client has state, its computation seconds).

        Malformed results, or results for other clients than asked, lose the worker.
        """
        name = self._cluster.links[k].name
        try:
            decoded, stateful = decode_results(reply, payload, self._sim.device)
        except ProtocolError as e:
            raise WorkerLost(f"{name} sent malformed results: {e}") from None
        if [r.client_id for r in decoded] != clients:
            raise WorkerLost(f"{name} sent results for other clients than asked")
        if isinstance(reply.get("executor"), str):
            self._executors[self._cluster.links[k].spec.name] = reply["executor"][:200]
        seconds = reply.get("seconds")
        return decoded, stateful, float(seconds) if isinstance(seconds, (int, float)) else 0.0

    def _loss_note(self) -> str:
        if not self._dirty:
            return ""
        return ("; the client states that the workers changed since the last checkpoint are "
                "lost with it")

    def _push(self, store: ClientStateStore) -> None:
        """After a resume: send each worker the saved states of the clients it owns."""
        states = sorted(store.items())
        for k in range(len(self.workers)):
            mine = [(i, s) for i, s in states if self._owner[i] == k]
            if mine:
                self._cluster.send_to(k, *encode_states(mine))
        self._pushed = True

    def collect_states(self, store: ClientStateStore) -> None:
        """Put the states the workers hold into ``store`` (nothing to do when none changed)."""
        if not self._dirty:
            return
        everyone = range(len(self.workers))
        self._cluster.request({"type": "collect"}, everyone)
        for reply, payload in self._cluster.gather("states", everyone).values():
            for client_id, state in decode_states(reply, payload, self._sim.device):
                if not 0 <= client_id < len(self._owner):
                    raise ProtocolError(f"states of unknown client {client_id}")
                store.put(client_id, state)
        self._dirty = False

    def close(self) -> None:
        """End the workers' sessions (they go back to listening); safe to call twice."""
        if self._cluster is not None:
            self._cluster.close(self._broken)
            self._cluster = None

    def describe(self) -> str:
        workers = "; ".join(f"{w.name} [{','.join(w.devices)}]: "
                            f"{self._executors.get(w.name, 'not started')}" for w in self.workers)
        text = f"remote: {len(self.workers)} worker(s) over torch.distributed (gloo), " \
               f"{self.config.remote_messages} messages: {workers}"
        if self.costs:
            n = len(self.costs)
            text += f"; per round (mean of {n}): {sum(c.bytes for c in self.costs) / n / 1e6:.3g}" \
                f" MB, {1e3 * sum(c.overhead for c in self.costs) / n:.3g} ms of protocol " \
                f"overhead besides {1e3 * sum(c.compute for c in self.costs) / n:.3g} ms of " \
                "client computation"
        return text
