"""Qt-free remote machine entries ``host:port:device`` (e.g. ``gpu7:29500:cuda:0``).

The parser is the engine's own (``--external-devices``), so the dialog accepts exactly what the
command line accepts.
"""

from __future__ import annotations

from fl_pytorch.api import WorkerAddress, parse_worker_entry

RemoteMachine = WorkerAddress


def parse_remote_machine(text: str) -> RemoteMachine:
    """Parse ``host:port:device``; device is ``cpu`` (or -1), a GPU id ``N`` or ``cuda:N``.

    Raises:
        ValueError: a message naming the bad part and what is accepted.
    """
    return parse_worker_entry(text)


def external_devices(machines: list[str]) -> str:
    """The ``--external-devices`` value of a list of entries."""
    return ",".join(machines)
