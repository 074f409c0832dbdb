"""The worker's listening socket: handshakes of every new connection, without a thread each.

A connection costs nothing but a socket and a small buffer until it has authenticated. One
selector loop accepts connections, sends each its ``hello`` at once, collects the bytes of the
master's ``auth`` frame as they come and checks it the moment it is complete (an HMAC: a few
microseconds). Only an authenticated connection gets a thread. An idle or slow connection can
therefore delay no one: it is closed when its :data:`~.auth.HANDSHAKE_TIMEOUT` is up, or, when
:data:`MAX_PENDING` connections are waiting, the oldest one makes room for the newest. A master
with the secret completes its handshake within one round trip, so a crowd of idle connections
(port scanners, a hostile peer) cannot keep it out.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from .auth import HANDSHAKE_TIMEOUT, check_master, worker_hello
from .frames import Channel, ProtocolError, first_frame, peer_name

LOGGER = logging.getLogger("fl_pytorch.worker")
MAX_PENDING = 256  # connections waiting for their auth frame (file descriptors)
_READ = 64 * 1024 + 4


@dataclass
class Pending:
    """A connection that has not authenticated yet."""

    channel: Channel
    nonce: bytes
    deadline: float
    buffer: bytearray = field(default_factory=bytearray)


class HandshakeListener:
    """Accepts connections on ``sock`` and authenticates them; see the module docstring."""

    def __init__(self, sock: socket.socket, secret: bytes, timeout: float = HANDSHAKE_TIMEOUT,
                 max_pending: int = MAX_PENDING):
        self.sock, self.secret = sock, secret
        self.timeout, self.max_pending = timeout, max_pending
        self.sock.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)
        self._pending: OrderedDict[socket.socket, Pending] = OrderedDict()  # oldest first

    def poll(self, timeout: float) -> list[tuple[Channel, str]]:
        """Wait up to ``timeout`` s for events; return connections authenticated (and purpose)."""
        now = time.monotonic()
        if self._pending:
            first = next(iter(self._pending.values()))
            timeout = max(0.0, min(timeout, first.deadline - now))
        done: list[tuple[Channel, str]] = []
        for key, _ in self._selector.select(timeout):
            if key.fileobj is self.sock:
                self._accept_all()
            else:
                finished = self._read(key.fileobj)  # type: ignore[arg-type]
                if finished is not None:
                    done.append(finished)
        self._expire(time.monotonic())
        return done

    def close(self) -> None:
        """Close every pending connection and the selector (not the listening socket)."""
        for conn in list(self._pending):
            self._drop(conn)
        self._selector.close()

    def _accept_all(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # e.g. out of file descriptors: try again on the next poll
                LOGGER.warning("cannot accept a connection: %s", e)
                return
            self._admit(conn)

    def _admit(self, conn: socket.socket) -> None:
        if len(self._pending) >= self.max_pending:
            oldest = next(iter(self._pending))
            LOGGER.warning("closed %s: %d connections waited to authenticate, the oldest "
                           "makes room", self._pending[oldest].channel.peer, self.max_pending)
            self._drop(oldest)
        channel = Channel(conn, peer_name(conn))
        nonce, hello = worker_hello()
        try:
            conn.setblocking(False)
            channel.send(hello)  # a few hundred bytes into an empty socket buffer
        except OSError:
            conn.close()
            return
        self._pending[conn] = Pending(channel, nonce, time.monotonic() + self.timeout)
        self._selector.register(conn, selectors.EVENT_READ)

    def _read(self, conn: socket.socket) -> tuple[Channel, str] | None:
        entry = self._pending.get(conn)
        if entry is None:
            return None
        try:
            chunk = conn.recv(_READ - len(entry.buffer))
            if not chunk:
                raise ProtocolError(f"{entry.channel.peer} closed the connection in the "
                                    "handshake")
            entry.buffer += chunk
            message = first_frame(bytes(entry.buffer), entry.channel.peer)
            if message is None:
                return None
            self._forget(conn)
            conn.settimeout(self.timeout)  # blocking again, for the thread that serves it
            purpose = check_master(entry.channel, self.secret, entry.nonce, message)
        except (BlockingIOError, InterruptedError):
            return None
        except (ProtocolError, OSError) as e:  # a wrong secret (AuthError), junk, a reset
            if isinstance(e, ProtocolError):
                LOGGER.warning("%s", e)
            else:
                LOGGER.warning("connection from %s closed: %s", entry.channel.peer, e)
            self._forget(conn)
            entry.channel.close()
            return None
        return entry.channel, purpose

    def _expire(self, now: float) -> None:
        while self._pending:
            conn, entry = next(iter(self._pending.items()))
            if entry.deadline > now:
                return
            LOGGER.warning("closed %s: no handshake within %g s", entry.channel.peer,
                           self.timeout)
            self._drop(conn)

    def _forget(self, conn: socket.socket) -> None:
        self._pending.pop(conn, None)
        try:
            self._selector.unregister(conn)
        except (KeyError, ValueError):
            pass

    def _drop(self, conn: socket.socket) -> None:
        entry = self._pending.get(conn)
        self._forget(conn)
        if entry is not None:
            entry.channel.close()
        else:
            conn.close()
