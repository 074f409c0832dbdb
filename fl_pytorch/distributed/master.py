"""The master's side of the workers: connect, set the run up, move tensors, watch for failures.

Each worker has a control channel (authenticated JSON frames, read by one thread per worker
into a queue) and a Gloo pair for tensors. A heartbeat thread tells the workers that the master
is alive; the workers' heartbeats say how far they are. A worker that closes its connection, or
makes no progress for ``timeout`` seconds (no finished client in a round, no heartbeat at all
otherwise), raises :class:`WorkerLost` naming it.
"""

from __future__ import annotations

import queue
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from ..utils.addresses import WorkerSpec
from .auth import HANDSHAKE_TIMEOUT, open_worker
from .frames import Channel, ConnectionClosed, ProtocolError
from .pairs import Pair, gist, open_store, wait
from .session import heartbeat_interval
from .tensors import Scratch, pack, payload_size, unpack


class WorkerLost(ConnectionError):
    """A worker died, hung or broke the protocol; the message names it."""


class WorkerFailed(RuntimeError):
    """A worker reported an error (e.g. a hook raised on one of its clients)."""


@dataclass
class WorkerLink:
    """The master's connection to one worker."""

    spec: WorkerSpec
    rank: int
    channel: Channel
    pair: Pair | None = None
    executor: str = ""
    progress: tuple[int, int, str] = (-1, 0, "")  # (round, clients done, stage) last reported
    deadline: float = 0.0  # when it must have made progress (time.monotonic)

    @property
    def name(self) -> str:
        return f"worker {self.spec.name} (rank {self.rank}, devices {','.join(self.spec.devices)})"


class Cluster:
    """The workers of one run."""

    def __init__(self, workers: list[WorkerSpec], secret: bytes, master_addr: str,
                 master_port: int, timeout: float):
        self.specs = workers
        self.secret = secret
        self.master_addr, self.master_port = master_addr, master_port
        self.timeout = timeout
        self.links: list[WorkerLink] = []
        self._inbox: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._store: Any = None
        self._scratch = Scratch()  # the round plan, packed once for every worker

    # ------------------------------------------------------------------ setup
    def connect(self, config: dict[str, Any], messages: str, fingerprint: str) -> None:
        """Authenticate every worker, send the run, check what they built, join the pairs.

        Raises:
            WorkerLost: a worker cannot be reached, refuses us, is busy, or built another
                problem (the message says which and why).
        """
        self._store, port = open_store(self.master_addr, self.master_port, self.timeout)
        token = secrets.token_hex(16)
        for k, spec in enumerate(self.specs):
            channel = self._open(spec)
            channel.send({"type": "run", "rank": k + 1, "prefix": f"fl_pytorch/{token}/{k}",
                          "store": {"host": self.master_addr, "port": port},
                          "devices": list(spec.devices), "config": config,
                          "timeout": self.timeout, "messages": messages})
            self.links.append(WorkerLink(spec, k + 1, channel))
        for k, link in enumerate(self.links):
            self._start(f"master-reader-{k}", self._read, k, link.channel)
        self._start("master-heartbeat", self._heartbeat)
        for link, ready in zip(self.links, self._collect("ready", self.links)):
            if ready.get("fingerprint") != fingerprint:
                raise WorkerLost(f"{link.name} built a different problem (data, model or "
                                 "initial point differ): check that it has the same dataset "
                                 "files and the same fl_pytorch and torch versions")
            link.executor = str(ready.get("executor"))[:200]
        for k, link in enumerate(self.links):
            link.channel.send({"type": "join"})
            try:
                link.pair = Pair(self._store, f"fl_pytorch/{token}/{k}", 0, self.master_addr,
                                 self.timeout)
            except RuntimeError as e:
                raise WorkerLost(f"{link.name} did not join its tensor channel: "
                                 f"{gist(e)}") from None

    def _open(self, spec: WorkerSpec) -> Channel:
        try:
            sock = socket.create_connection((spec.host, spec.port), timeout=HANDSHAKE_TIMEOUT)
        except OSError as e:
            raise WorkerLost(f"worker {spec.name}: cannot connect ({e}); is `./run.sh worker "
                             f"--port {spec.port}` running there?") from None
        channel = Channel(sock, f"worker {spec.name}")
        try:
            open_worker(channel, self.secret, "run")
        except ProtocolError as e:  # names the worker
            channel.close()
            raise WorkerLost(str(e)) from None
        except OSError as e:
            channel.close()
            raise WorkerLost(f"worker {spec.name}: {e}") from None
        return channel

    def _start(self, name: str, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read(self, k: int, channel: Channel) -> None:
        channel.sock.settimeout(None)
        while True:
            try:
                message = channel.recv(None)
            except (ProtocolError, OSError) as e:
                if not self._stop.is_set():
                    reason = "closed the connection" if isinstance(e, ConnectionClosed) \
                        else f"broke the connection: {e}"
                    self._inbox.put((k, {"type": "lost", "reason": reason}))
                return
            self._inbox.put((k, message))

    def _heartbeat(self) -> None:
        while not self._stop.wait(heartbeat_interval(self.timeout)):
            for link in self.links:
                try:
                    link.channel.send({"type": "alive"})
                except OSError:
                    pass  # its reader reports the loss

    # ------------------------------------------------------------------ rounds
    def send_round(self, headers: dict[int, dict[str, Any]], tensors: list[torch.Tensor]
                   ) -> None:
        """Send one round's plan: ``headers[k]`` to worker k, the same tensors to all."""
        specs, buffer = pack(tensors, self._scratch)
        works = []
        for k, header in headers.items():
            link = self.links[k]
            link.deadline = time.monotonic() + self.timeout
            self._guard(link, link.channel.send, {**header, "specs": specs})
            works.append((link, self._guard(link, link.pair.send, buffer)))
        for link, work in works:
            self._guard(link, wait, work)

    def gather(self, kind: str, links: Iterable[int], round_index: int = -1
               ) -> dict[int, tuple[dict[str, Any], list[torch.Tensor]]]:
        """Wait for a ``kind`` frame (and its tensors) from each of ``links``.

        Each worker's tensors start arriving as soon as its frame does, while the others are
        still computing.
        """
        order = list(links)
        started: dict[int, tuple[Any, torch.Tensor]] = {}

        def arrived(n: int, frame: dict[str, Any]) -> None:
            link = self.links[order[n]]
            try:
                size = payload_size(frame.get("specs"))
            except ProtocolError as e:
                raise WorkerLost(f"{link.name} sent a malformed frame: {e}") from None
            started[n] = self._guard(link, link.pair.recv, size)
        frames = self._collect(kind, [self.links[k] for k in order], round_index, arrived)
        out = {}
        for n, (k, frame) in enumerate(zip(order, frames)):
            work, buffer = started[n]
            self._guard(self.links[k], wait, work)
            out[k] = frame, unpack(frame["specs"], buffer)
        return out

    def request(self, message: dict[str, Any], links: Iterable[int]) -> None:
        """Send ``message`` to each of ``links``."""
        for k in links:
            link = self.links[k]
            link.deadline = time.monotonic() + self.timeout
            self._guard(link, link.channel.send, message)

    def send_to(self, k: int, header: dict[str, Any], tensors: list[torch.Tensor]) -> None:
        """``header`` and ``tensors`` to worker k alone (e.g. pushed client states)."""
        link = self.links[k]
        specs, buffer = pack(tensors, link.pair.scratch)
        self._guard(link, link.channel.send, {**header, "specs": specs})
        self._guard(link, wait, self._guard(link, link.pair.send, buffer))

    def _guard(self, link: WorkerLink, action: Any, *args: Any) -> Any:
        """``action(*args)``; a broken link or transfer becomes WorkerLost naming the worker."""
        try:
            return action(*args)
        except (OSError, RuntimeError) as e:
            raise WorkerLost(f"{link.name} was lost in a transfer: {gist(e)} (the "
                             "worker process ended, hung or lost its network)") from None

    def _collect(self, kind: str, links: list[WorkerLink], round_index: int = -1,
                 arrived: Any = None) -> list[dict[str, Any]]:
        """The next ``kind`` frame of each link, in the order of ``links``.

        ``arrived(n, frame)`` is called as soon as the frame of ``links[n]`` arrives.
        """
        now = time.monotonic()
        for link in links:
            link.deadline = max(link.deadline, now + self.timeout)
        index = {id(link): n for n, link in enumerate(links)}
        got: list[dict[str, Any] | None] = [None] * len(links)
        while any(g is None for g in got):
            waiting = [link for link, g in zip(links, got) if g is None]
            left = min(link.deadline for link in waiting) - time.monotonic()
            try:
                k, message = self._inbox.get(timeout=max(0.0, left))
            except queue.Empty:
                late = min(waiting, key=lambda link: link.deadline)
                rnd, done, stage = late.progress
                raise WorkerLost(
                    f"{late.name} made no progress for {self.timeout:g} s (last report: "
                    f"{stage or 'none'}, round {rnd}, {done} client(s) done): it hung, was "
                    "stopped or is slower than --remote-timeout allows") from None
            link = self.links[k]
            kind_got = message["type"]
            if kind_got == "lost":
                raise WorkerLost(f"{link.name} {message['reason']} (the worker process ended "
                                 "or the network dropped)")
            if kind_got == "error":
                raise WorkerFailed(f"{link.name}: {str(message.get('message'))[:4000]}")
            if kind_got == "alive":
                self._progress(link, message, round_index)
            elif kind_got == kind and id(link) in index and got[index[id(link)]] is None:
                got[index[id(link)]] = message
                if arrived is not None:
                    arrived(index[id(link)], message)
            elif kind_got == "busy":
                raise WorkerLost(f"{link.name} is busy with another run "
                                 f"({str(message.get('message'))[:200]})")
            else:
                raise WorkerLost(f"{link.name} sent {kind_got!r} where {kind!r} was expected")
        return got  # type: ignore[return-value]

    def _progress(self, link: WorkerLink, message: dict[str, Any], round_index: int) -> None:
        report = (message.get("round"), message.get("done"), str(message.get("stage"))[:40])
        if not (isinstance(report[0], int) and isinstance(report[1], int)):
            return
        moved = report != link.progress and (round_index < 0 or report[0] == round_index)
        link.progress = report  # type: ignore[assignment]
        if moved or round_index < 0:
            link.deadline = time.monotonic() + self.timeout

    def traffic(self) -> int:
        """Bytes sent and received so far (control frames and tensors, all workers)."""
        return sum(sum(link.channel.traffic) + (sum(link.pair.traffic) if link.pair else 0)
                   for link in self.links)

    # ------------------------------------------------------------------ end
    def close(self, broken: bool) -> None:
        """End every session: ``end`` to the workers (unless ``broken``), close the groups."""
        self._stop.set()
        for link in self.links:
            if not broken:
                try:
                    link.channel.send({"type": "end"})
                except OSError:
                    pass
            if link.pair is not None:
                link.pair.close(broken)
            link.channel.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads, self.links, self._store = [], [], None
