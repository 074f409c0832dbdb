"""The control channel of remote workers: length-prefixed JSON frames on a TCP socket.

A frame is a 4-byte big-endian length followed by a UTF-8 JSON object with a string ``type``.
Nothing but ``json.loads`` ever reads the bytes (no pickle, no eval), and the length is checked
against a cap before anything is allocated: at most 64 KiB until the peer has authenticated,
64 MiB after. Once the handshake (``auth.py``) has derived a session key, every frame also
carries an HMAC-SHA256 tag over its direction, its sequence number and its body, so nobody
without the secret can forge, alter, replay or reorder a frame on the connection.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from typing import Any

MAX_HANDSHAKE_FRAME = 64 * 1024
MAX_FRAME = 64 * 1024 * 1024
_LENGTH = struct.Struct(">I")
_TAG = 32  # bytes of an HMAC-SHA256 tag


class ProtocolError(ConnectionError):
    """The peer closed the connection or sent something that is not a valid frame."""


class ConnectionClosed(ProtocolError):
    """The peer closed the connection (at a frame boundary or in the middle of one)."""


class Channel:
    """Frames over one connected socket; ``send`` may be called from several threads."""

    def __init__(self, sock: socket.socket, peer: str = ""):
        self.sock = sock
        self.peer = peer or _peer_name(sock)
        self.max_frame = MAX_HANDSHAKE_FRAME
        self._key: bytes | None = None
        self._labels = (b"", b"")  # (outgoing, incoming) direction labels
        self._seq = [0, 0]  # frames sent, frames received
        self._send_lock = threading.Lock()
        self.traffic = [0, 0]  # bytes sent, bytes received

    @property
    def authenticated(self) -> bool:
        return self._key is not None

    def secure(self, key: bytes, outgoing: bytes, incoming: bytes) -> None:
        """Tag every later frame with ``key``; ``outgoing``/``incoming`` name the directions."""
        self._key, self._labels = key, (outgoing, incoming)
        self.max_frame = MAX_FRAME

    def _tag(self, label: bytes, seq: int, body: bytes) -> bytes:
        return hmac.new(self._key, label + seq.to_bytes(8, "big") + body, hashlib.sha256).digest()

    def send(self, message: dict[str, Any]) -> None:
        """Send one JSON object (raises OSError when the connection is gone)."""
        body = json.dumps(message, separators=(",", ":")).encode()
        with self._send_lock:
            if self._key is not None:
                body = self._tag(self._labels[0], self._seq[0], body) + body
                self._seq[0] += 1
            if len(body) > self.max_frame:
                raise ProtocolError(f"frame of {len(body)} bytes exceeds {self.max_frame}")
            self.sock.sendall(_LENGTH.pack(len(body)) + body)
            self.traffic[0] += _LENGTH.size + len(body)

    def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """The next JSON object, whole within ``timeout`` seconds (None waits forever).

        Raises:
            ProtocolError: connection closed, oversized or malformed frame, bad tag.
            TimeoutError: the frame was not complete in time (however slowly its bytes came;
                the stream is then out of step: close the channel).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        (length,) = _LENGTH.unpack(self._read(_LENGTH.size, deadline))
        if length > self.max_frame:
            raise ProtocolError(f"{self.peer} announced a frame of {length} bytes (limit "
                                f"{self.max_frame})")
        body = self._read(length, deadline)
        self.traffic[1] += _LENGTH.size + length
        if self._key is not None:
            tag, body = body[:_TAG], body[_TAG:]
            if len(tag) < _TAG or not hmac.compare_digest(
                    tag, self._tag(self._labels[1], self._seq[1], body)):
                raise ProtocolError(f"{self.peer} sent a frame that failed authentication")
            self._seq[1] += 1
        return decode_body(body, self.peer)

    def _read(self, n: int, deadline: float | None) -> bytes:
        chunks, got = [], 0
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.peer} did not complete a frame in time")
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            chunk = self.sock.recv(min(n - got, 1 << 20))
            if not chunk:
                raise ConnectionClosed(f"{self.peer} closed the connection")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        """Shut the socket down (waking a thread blocked in ``recv``) and close it."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def decode_body(body: bytes, peer: str) -> dict[str, Any]:
    """The JSON object of a frame's body (a ProtocolError naming ``peer`` if it is not one)."""
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError(f"{peer} sent a frame that is not UTF-8 JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError(f"{peer} sent JSON that is not an object with a 'type'")
    return message


def first_frame(buffer: bytes, peer: str) -> dict[str, Any] | None:
    """The first frame of ``buffer`` (untagged, at most 64 KiB), or None while incomplete.

    For a reader that collects a connection's bytes as they come (the worker's handshakes).
    """
    if len(buffer) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(buffer[:_LENGTH.size])
    if length > MAX_HANDSHAKE_FRAME:
        raise ProtocolError(f"{peer} announced a frame of {length} bytes (limit "
                            f"{MAX_HANDSHAKE_FRAME})")
    if len(buffer) < _LENGTH.size + length:
        return None
    return decode_body(buffer[_LENGTH.size:_LENGTH.size + length], peer)


def peer_name(sock: socket.socket) -> str:
    """``host:port`` of the other end of ``sock`` (``peer`` once it is gone)."""
    return _peer_name(sock)


def _peer_name(sock: socket.socket) -> str:
    try:
        name = sock.getpeername()
    except OSError:
        return "peer"
    return f"{name[0]}:{name[1]}" if isinstance(name, tuple) else "peer"


def expect(message: dict[str, Any], kind: str, peer: str) -> dict[str, Any]:
    """``message`` if its type is ``kind``; a worker's error report or anything else raises."""
    if message["type"] == kind:
        return message
    if message["type"] == "error":
        raise ProtocolError(f"{peer}: {str(message.get('message'))[:2000]}")
    raise ProtocolError(f"{peer} sent {message['type']!r} where {kind!r} was expected")


def field(message: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """``message[name]``, checked to be of ``kind`` (bool is not accepted as int)."""
    value = message.get(name)
    bad_bool = isinstance(value, bool) and kind in (int, float, (int, float))
    if not isinstance(value, kind) or bad_bool:
        raise ProtocolError(f"frame {message.get('type')!r}: field {name!r} is missing or not "
                            f"{getattr(kind, '__name__', kind)}")
    return value
