"""``--external-devices host:port:device,...``: where the workers listen and what they compute on.

Entries with the same ``host:port`` are one worker process using several devices (its own
per-device thread pools); each worker owns a fixed share of the clients, in proportion to its
devices, so a client's persistent state always lives on the same worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_DEVICE = re.compile(r"^(cpu|-1|\d+|cuda:\d+)$")
#: the original GUI's device names (its remote-machine table): cpu:-1 and gpu:N
_ORIGINAL_DEVICE = re.compile(r"^(cpu:-1|gpu:(\d+))$", re.IGNORECASE)


@dataclass(frozen=True)
class WorkerAddress:
    """One ``host:port:device`` entry."""

    host: str
    port: int
    device: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}:{self.device}"


@dataclass(frozen=True)
class WorkerSpec:
    """One worker process: where it listens and the devices it computes on (``--gpu`` ids)."""

    host: str
    port: int
    devices: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def gpu(self) -> str:
        """The worker's devices in ``--gpu`` syntax (``-1`` for the CPU)."""
        return ",".join("-1" if d in ("cpu", "-1") else d.removeprefix("cuda:")
                        for d in self.devices)


def parse_worker_entry(text: str) -> WorkerAddress:
    """Parse ``host:port:device``; device is ``cpu`` (or -1), a GPU id ``N`` or ``cuda:N``.

    The original GUI's ``cpu:-1`` and ``gpu:N`` are read as ``cpu`` and ``cuda:N``.

    Raises:
        ConfigError: a message naming the bad part and what is accepted.
    """
    parts = text.strip().split(":", 2)
    if len(parts) != 3:
        raise ConfigError(f"remote machine {text!r}: expected host:port:device, "
                          "e.g. node7:29500:cuda:0")
    host, port, device = (p.strip() for p in parts)
    original = _ORIGINAL_DEVICE.match(device)
    if original:
        device = f"cuda:{original.group(2)}" if original.group(2) else "cpu"
    if not _HOST.match(host):
        raise ConfigError(f"remote machine {text!r}: invalid host {host!r}; use a host name or "
                          "an IPv4 address")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"remote machine {text!r}: invalid port {port!r}; use 1..65535")
    if not _DEVICE.match(device):
        raise ConfigError(f"remote machine {text!r}: invalid device {device!r}; use cpu, -1, a "
                          "GPU id (0, 1, ...) or cuda:N")
    return WorkerAddress(host, int(port), device)


def parse_external_devices(spec: str) -> list[WorkerSpec]:
    """The workers of ``--external-devices`` in order of first appearance (empty: none).

    Raises:
        ConfigError: naming the option, the bad entry and the accepted form.
    """
    workers: dict[tuple[str, int], list[str]] = {}
    for text in (p for p in spec.split(",") if p.strip()):
        try:
            entry = parse_worker_entry(text)
        except ConfigError as e:
            raise ConfigError(f"--external-devices: invalid value {spec!r}; {e}") from None
        devices = workers.setdefault((entry.host, entry.port), [])
        if entry.device in devices:
            raise ConfigError(f"--external-devices: invalid value {spec!r}; {entry} is listed "
                              "twice")
        devices.append(entry.device)
    return [WorkerSpec(host, port, tuple(devices)) for (host, port), devices in workers.items()]


def owners(workers: list[WorkerSpec], num_clients: int) -> list[int]:
    """The worker index owning each client: client i goes to slot ``i mod (total devices)``."""
    slots = [k for k, w in enumerate(workers) for _ in w.devices]
    return [slots[i % len(slots)] for i in range(num_clients)]


def valid_device(text: str) -> bool:
    """Whether ``text`` is a device of an entry: ``cpu``, ``-1``, ``N`` or ``cuda:N``."""
    return bool(_DEVICE.match(text))
