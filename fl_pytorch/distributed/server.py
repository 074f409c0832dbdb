"""The worker process: listen on a port, authenticate each connection, serve probes and runs.

Handshakes run in one selector loop (``handshakes.py``): a connection that has not
authenticated holds no thread, only a socket and a buffer, and is closed after
:data:`~.auth.HANDSHAKE_TIMEOUT` seconds, or sooner when :data:`~.handshakes.MAX_PENDING`
connections wait and it is the oldest; so idle or slow clients cannot starve the port. Anything
that fails the handshake (random bytes, a pickle, an oversized frame, a wrong secret) is logged
and closed; nothing it sent is ever executed or unpickled. Each authenticated connection gets a
thread. One run is served at a time; a second master waits a few seconds (a run whose master
has just gone may still be finishing its set-up), told meanwhile that the worker is waiting
(so its timeout does not run out), then is told the worker is busy. A failed run is logged and
the worker goes back to listening.
"""

from __future__ import annotations

import logging
import platform
import socket
import threading
import time
from typing import Any

import torch

from ..tracking.monitor import ResourceMonitor
from .auth import HANDSHAKE_TIMEOUT
from .frames import Channel, ProtocolError, expect
from .handshakes import HandshakeListener
from .pairs import gist
from .session import Session, heartbeat_interval

LOGGER = logging.getLogger("fl_pytorch.worker")


class WorkerServer:
    """A listening worker; ``serve_forever()`` until ``stop()`` (or Ctrl-C)."""

    def __init__(self, host: str, port: int, secret: bytes, data_path: str | None = None,
                 plugins: list[str] | None = None):
        self.secret = secret
        self.data_path = data_path
        self.plugins = plugins or []  # loaded at start; the only ones a master may ask for
        self.sock = socket.create_server((host, port), backlog=128)
        self.address = "{}:{}".format(*self.sock.getsockname()[:2])
        self._run_lock = threading.Lock()
        self._session: Session | None = None
        self._session_thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._monitor = ResourceMonitor()
        self._monitor_lock = threading.Lock()

    def serve_forever(self) -> None:
        """Accept and authenticate connections until :meth:`stop`.

        Each authenticated connection is served in its own thread.
        """
        listener = HandshakeListener(self.sock, self.secret)
        try:
            while not self._stopped.is_set():
                try:
                    ready = listener.poll(0.5)
                except (OSError, ValueError):  # the socket was closed by stop()
                    if self._stopped.is_set():
                        return
                    raise
                for channel, purpose in ready:
                    threading.Thread(target=self._handle, args=(channel, purpose), daemon=True,
                                     name=f"worker-conn-{channel.peer}").start()
        finally:
            listener.close()

    def stop(self) -> None:
        """Stop accepting; a running session is aborted (its master sees the worker go)."""
        self._stopped.set()
        self.sock.close()
        session, thread = self._session, self._session_thread
        if session is not None:
            session.abort()
        if thread is not None:
            thread.join(timeout=30)
        self._monitor.close()

    def _handle(self, channel: Channel, purpose: str) -> None:
        """Serve one authenticated connection: a status probe or a run request."""
        try:
            if purpose == "probe":
                channel.send({"type": "status", **self.status()})
                return
            request = expect(channel.recv(HANDSHAKE_TIMEOUT), "run", channel.peer)
            if not self._wait_until_free(channel, request):
                channel.send({"type": "busy", "message": self._describe()})
                return
            try:
                self._serve_run(channel, request)
            finally:
                self._run_lock.release()
        except Exception as e:
            self._log_failure(channel.peer, e)
        finally:
            channel.close()

    def _wait_until_free(self, channel: Channel, request: dict[str, Any]) -> bool:
        """Take the run lock, waiting at most :meth:`_patience`.

        Meanwhile the master is told that this worker is alive and waiting, so that its own
        timeout does not end the wait first.
        """
        if self._run_lock.acquire(blocking=False):
            return True
        patience = self._patience(request)
        deadline = time.monotonic() + patience
        beat = heartbeat_interval(request["timeout"]) if patience else 0.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            channel.send({"type": "alive", "round": -1, "done": 0,
                          "stage": "waiting for the current run to end"})
            if self._run_lock.acquire(timeout=min(left, beat)):
                return True

    def _log_failure(self, peer: str, e: Exception) -> None:
        if self._stopped.is_set():
            LOGGER.warning("run for %s aborted: the worker is stopping", peer)
        elif isinstance(e, ProtocolError):  # a wrong secret, malformed input (names the peer)
            LOGGER.warning("%s", e)
        elif isinstance(e, OSError):  # timeouts, resets
            LOGGER.warning("connection from %s closed: %s", peer, e)
        else:  # a failed run: logged; the worker keeps listening
            LOGGER.error("run for %s failed: %s: %s", peer, type(e).__name__, gist(e))

    @staticmethod
    def _patience(request: dict[str, Any]) -> float:
        """Seconds a run request waits for the current run to end.

        A run whose master has just gone may still be finishing its set-up; the wait stays well
        within the new master's timeout.
        """
        timeout = request.get("timeout")
        return min(HANDSHAKE_TIMEOUT, timeout / 2) if isinstance(timeout, (int, float)) and \
            timeout > 0 else 0.0

    def _serve_run(self, channel: Channel, request: dict[str, Any]) -> None:
        session = Session(channel, request, self.data_path, self.plugins)
        self._session, self._session_thread = session, threading.current_thread()
        LOGGER.info("run for %s started", channel.peer)
        try:
            session.run()
        finally:
            self._session = self._session_thread = None
        LOGGER.info("run for %s ended", channel.peer)

    def _describe(self) -> str:
        session = self._session
        return session.describe() if session is not None else "idle"

    def status(self) -> dict[str, Any]:
        """What a status probe answers: devices, load, and the current run."""
        with self._monitor_lock:
            s = self._monitor.snapshot()
        devices = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
        return {"host": platform.node(), "devices": devices, "busy": self._run_lock.locked(),
                "activity": self._describe(), "cpu_count": s.cpu_count,
                "cpu_percent": s.system_cpu_percent,
                "ram_used_percent": 100.0 * (1 - s.ram_available_mb / s.ram_total_mb),
                "gpus": [{"index": g.index, "name": g.name, "utilization_percent":
                          g.utilization_percent, "memory_used_mb": g.memory_used_mb,
                          "memory_total_mb": g.memory_total_mb} for g in s.gpus]}
