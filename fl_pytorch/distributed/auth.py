"""The shared secret and the mutual HMAC challenge-response that opens every connection.

The worker speaks first with a random nonce; the master answers with its own nonce and
``HMAC(secret, "master" | worker nonce | master nonce)``; the worker checks it
(``hmac.compare_digest``) and proves itself with ``HMAC(secret, "worker" | master nonce |
worker nonce)``. The secret never crosses the wire, a recorded exchange cannot be replayed
(fresh nonces on both sides), and a peer without the secret learns nothing it could reuse. Both
then tag every frame with the session key ``HMAC(secret, "session" | both nonces)``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..errors import ConfigError
from ..utils.files import read_text
from .frames import Channel, ProtocolError, expect, field

PROTOCOL = "fl_pytorch-remote/1"
SECRET_ENV = "FL_PYTORCH_SECRET"
MIN_SECRET = 16  # characters
MAX_SECRET_FILE = 64 * 1024  # bytes
HANDSHAKE_TIMEOUT = 10.0  # seconds for each handshake frame
PURPOSES = ("run", "probe")


class AuthError(ProtocolError):
    """The peer does not know the shared secret (or speaks another protocol)."""


class Refused(AuthError):
    """The worker refused us: our secret (or protocol version) is not the worker's."""


def load_secret(path: str, option: str) -> bytes:
    """The secret: the first line of ``path``, or ``$FL_PYTORCH_SECRET`` when ``path`` is empty.

    Raises:
        ConfigError: no secret, an unreadable file, or a secret shorter than 16 characters.
    """
    if path:
        try:
            text = read_text(option, path, MAX_SECRET_FILE).splitlines()
        except ConfigError as e:
            raise ConfigError(f"{option}: invalid value {path!r}; cannot read it "
                              f"({getattr(e, 'reason', e)})") from None
        value, source = (text[0].strip() if text else ""), repr(path)
    else:
        value, source = os.environ.get(SECRET_ENV, "").strip(), f"${SECRET_ENV}"
        if not value:
            raise ConfigError(f"{option}: no shared secret; give a file whose first line is the "
                              f"secret, or set {SECRET_ENV} (make one with `./run.sh worker "
                              "--new-secret FILE`)")
    if len(value) < MIN_SECRET:
        raise ConfigError(f"{option}: the secret in {source} has {len(value)} characters; use "
                          f"at least {MIN_SECRET} (make one with `./run.sh worker --new-secret "
                          "FILE`)")
    return value.encode()


def new_secret(path: str | Path) -> Path:
    """Write a fresh random secret (64 hex digits) to ``path``, readable by its owner only."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.chmod(path, 0o600)
    return path


def _mac(secret: bytes, label: bytes, first: bytes, second: bytes) -> str:
    return hmac.new(secret, label + first + second, hashlib.sha256).hexdigest()


def _nonce(message: dict, peer: str) -> bytes:
    text = field(message, "nonce", str)
    try:
        nonce = bytes.fromhex(text)
    except ValueError:
        nonce = b""
    if len(nonce) != 32:
        raise ProtocolError(f"{peer} sent a malformed nonce")
    return nonce


def worker_hello() -> tuple[bytes, dict]:
    """Worker side, first step: a fresh nonce and the ``hello`` frame that carries it."""
    mine = os.urandom(32)
    return mine, {"type": "hello", "protocol": PROTOCOL, "nonce": mine.hex()}


def check_master(channel: Channel, secret: bytes, mine: bytes, message: dict) -> str:
    """Worker side, second step: check the master's ``auth`` frame; returns its purpose.

    Answers ``welcome`` (and secures the channel) or ``refused``.

    Raises:
        AuthError: wrong secret or protocol (the master is told why before the connection
            closes).
        ProtocolError: anything malformed.
    """
    message = expect(message, "auth", channel.peer)
    if message.get("protocol") != PROTOCOL:
        reason = f"protocol {str(message.get('protocol'))[:40]!r}; this worker speaks {PROTOCOL}"
        channel.send({"type": "refused", "reason": reason})
        raise AuthError(f"refused {channel.peer}: {reason}")
    theirs = _nonce(message, channel.peer)
    if not _same_mac(message.get("mac"), _mac(secret, b"master", mine, theirs)):
        channel.send({"type": "refused", "reason": "wrong secret"})
        raise AuthError(f"refused {channel.peer}: wrong secret")
    purpose = message.get("purpose")
    if purpose not in PURPOSES:
        raise ProtocolError(f"{channel.peer} asked for {str(purpose)[:40]!r}")
    channel.send({"type": "welcome", "mac": _mac(secret, b"worker", theirs, mine)})
    channel.secure(hmac.new(secret, b"session" + mine + theirs, hashlib.sha256).digest(),
                   outgoing=b"w", incoming=b"m")
    return purpose


def answer_master(channel: Channel, secret: bytes) -> str:
    """Worker side, both steps on a blocking channel; returns the master's purpose."""
    mine, hello = worker_hello()
    channel.send(hello)
    return check_master(channel, secret, mine, channel.recv(HANDSHAKE_TIMEOUT))


def _same_mac(received: object, expected: str) -> bool:
    """Constant-time comparison of a MAC as received (any JSON value) with ``expected``.

    Compared as UTF-8 bytes: ``hmac.compare_digest`` refuses str with non-ASCII characters.
    """
    return isinstance(received, str) and hmac.compare_digest(
        received.encode("utf-8", "surrogatepass"), expected.encode())


def open_worker(channel: Channel, secret: bytes, purpose: str,
                timeout: float = HANDSHAKE_TIMEOUT) -> None:
    """Master side: prove the secret to a worker and check that the worker knows it too.

    Messages name the worker as ``channel.peer`` (e.g. ``worker node7:29500``); each of the
    worker's frames must arrive within ``timeout`` seconds.

    Raises:
        AuthError: the worker refused us (its reason is in the message) or could not prove
            the secret.
        ProtocolError: anything malformed, or not a worker at all.
    """
    hello = expect(channel.recv(timeout), "hello", channel.peer)
    if hello.get("protocol") != PROTOCOL:
        raise AuthError(f"{channel.peer} speaks {str(hello.get('protocol'))[:40]!r}, not "
                        f"{PROTOCOL} (is it an fl_pytorch worker of this version?)")
    theirs, mine = _nonce(hello, channel.peer), os.urandom(32)
    channel.send({"type": "auth", "protocol": PROTOCOL, "purpose": purpose, "nonce": mine.hex(),
                  "mac": _mac(secret, b"master", theirs, mine)})
    reply = channel.recv(timeout)
    if reply["type"] == "refused":
        reason = "".join(c for c in str(reply.get("reason"))[:200] if c.isprintable())
        raise Refused(f"{channel.peer} refused the connection: {reason}")
    reply = expect(reply, "welcome", channel.peer)
    if not _same_mac(reply.get("mac"), _mac(secret, b"worker", mine, theirs)):
        raise AuthError(f"{channel.peer} could not prove that it knows the shared secret")
    channel.secure(hmac.new(secret, b"session" + theirs + mine, hashlib.sha256).digest(),
                   outgoing=b"m", incoming=b"w")
