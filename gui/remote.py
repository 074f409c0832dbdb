"""Qt-free parsing of remote machine entries ``host:port:device`` (e.g. ``gpu7:29500:cuda:0``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_DEVICE = re.compile(r"^(cpu|-1|\d+|cuda:\d+)$")


@dataclass(frozen=True)
class RemoteMachine:
    """A remote worker: where it listens and which device it computes on."""

    host: str
    port: int
    device: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}:{self.device}"


def parse_remote_machine(text: str) -> RemoteMachine:
    """Parse ``host:port:device``; device is ``cpu`` (or -1), a GPU id ``N`` or ``cuda:N``.

    Raises:
        ValueError: a message naming the bad part and what is accepted.
    """
    parts = text.strip().split(":", 2)
    if len(parts) != 3:
        raise ValueError(f"remote machine {text!r}: expected host:port:device, "
                         "e.g. node7:29500:cuda:0")
    host, port, device = (p.strip() for p in parts)
    if not _HOST.match(host):
        raise ValueError(f"remote machine {text!r}: invalid host {host!r}; use a host name or an "
                         "IPv4 address")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"remote machine {text!r}: invalid port {port!r}; use 1..65535")
    if not _DEVICE.match(device):
        raise ValueError(f"remote machine {text!r}: invalid device {device!r}; use cpu, -1, a GPU "
                         "id (0, 1, ...) or cuda:N")
    return RemoteMachine(host, int(port), device)
