"""Status probe: ask a worker, over the authenticated handshake, whether it is up and how busy."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from .auth import HANDSHAKE_TIMEOUT, AuthError, Refused, open_worker
from .frames import Channel, ProtocolError, expect


@dataclass(frozen=True)
class WorkerStatus:
    """What a probe found: ``state`` is online, busy, refused or offline."""

    address: str
    state: str
    message: str  # one line for people
    devices: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    refused_us: bool = False  # the worker refused our secret (or protocol version)

    @property
    def online(self) -> bool:
        return self.state in ("online", "busy")


def probe_worker(host: str, port: int, secret: bytes, timeout: float = 3.0) -> WorkerStatus:
    """Connect, authenticate both ways and read the worker's status.

    Network trouble and refusals do not raise: the status says what went wrong.
    """
    address = f"{host}:{port}"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return WorkerStatus(address, "offline", f"offline: {e.strerror or e}")
    channel = Channel(sock, f"worker {address}")
    try:
        open_worker(channel, secret, "probe", min(timeout, HANDSHAKE_TIMEOUT))
        status = expect(channel.recv(min(timeout, HANDSHAKE_TIMEOUT)), "status", address)
    except AuthError as e:
        return WorkerStatus(address, "refused", str(e), refused_us=isinstance(e, Refused))
    except (ProtocolError, OSError) as e:
        return WorkerStatus(address, "offline", f"not a worker or not answering: {e}")
    finally:
        channel.close()
    devices = tuple(str(d) for d in status.get("devices", []) if isinstance(d, str))
    busy = bool(status.get("busy"))
    load = f"CPU {_number(status.get('cpu_percent')):.0f}% of {status.get('cpu_count')} " \
           f"core(s), RAM {_number(status.get('ram_used_percent')):.0f}%"
    gpus = [g for g in status.get("gpus", []) if isinstance(g, dict)]
    if gpus:
        load += ", " + ", ".join(f"GPU{g.get('index')} {_number(g.get('utilization_percent')):.0f}%"
                                 for g in gpus)
    activity = str(status.get("activity", ""))[:200]
    return WorkerStatus(address, "busy" if busy else "online",
                        f"{'busy: ' + activity if busy else 'online, idle'}; devices "
                        f"{','.join(devices)}; {load}", devices, status)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else float("nan")
