"""The worker process: listen on a port, authenticate each connection, serve probes and runs.

Each connection gets a thread and at most :data:`~.auth.HANDSHAKE_TIMEOUT` seconds per
handshake frame; at most :data:`MAX_HANDSHAKES` handshakes run at once (more are closed at
once), so a slow or hostile client cannot starve the port. Anything that fails the handshake
(random bytes, a pickle, an oversized frame, a wrong secret) is logged and closed; nothing it
sent is ever executed or unpickled. One run is served at a time; a second master waits a few
seconds (a run whose master has just gone may still be finishing its set-up), then is told the
worker is busy. A failed run is logged and the worker goes back to listening.
"""

from __future__ import annotations

import logging
import platform
import socket
import threading
from typing import Any

import torch

from ..utils.monitor import ResourceMonitor
from .auth import HANDSHAKE_TIMEOUT, answer_master
from .frames import Channel, ProtocolError, expect
from .pairs import gist
from .session import Session

LOGGER = logging.getLogger("fl_pytorch.worker")
MAX_HANDSHAKES = 16


class WorkerServer:
    """A listening worker; ``serve_forever()`` until ``stop()`` (or Ctrl-C)."""

    def __init__(self, host: str, port: int, secret: bytes, data_path: str | None = None):
        self.secret = secret
        self.data_path = data_path
        self.sock = socket.create_server((host, port), backlog=64)
        self.address = "{}:{}".format(*self.sock.getsockname()[:2])
        self._slots = threading.BoundedSemaphore(MAX_HANDSHAKES)
        self._run_lock = threading.Lock()
        self._session: Session | None = None
        self._session_thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._monitor = ResourceMonitor()
        self._monitor_lock = threading.Lock()

    def serve_forever(self) -> None:
        """Accept connections until :meth:`stop`; each is handled in its own thread."""
        self.sock.settimeout(0.5)
        while not self._stopped.is_set():
            try:
                conn, addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopped.is_set():
                    return
                raise
            if not self._slots.acquire(blocking=False):
                LOGGER.warning("closed %s:%s: too many handshakes at once", *addr[:2])
                conn.close()
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True,
                             name=f"worker-conn-{addr[1]}").start()

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

    def _handle(self, conn: socket.socket) -> None:
        channel = Channel(conn)
        try:
            try:
                conn.settimeout(HANDSHAKE_TIMEOUT)
                purpose = answer_master(channel, self.secret)
                request = None if purpose == "probe" else \
                    expect(channel.recv(HANDSHAKE_TIMEOUT), "run", channel.peer)
            finally:
                self._slots.release()
            if request is None:
                channel.send({"type": "status", **self.status()})
            elif not self._run_lock.acquire(timeout=self._patience(request)):
                channel.send({"type": "busy", "message": self._describe()})
            else:
                try:
                    self._serve_run(channel, request)
                finally:
                    self._run_lock.release()
        except Exception as e:
            self._log_failure(channel.peer, e)
        finally:
            channel.close()

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
        session = Session(channel, request, self.data_path)
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
