"""The tensor channel: one two-rank torch.distributed Gloo group per worker.

The master (rank 0 of every pair) hosts one ``TCPStore`` for the rendezvous, on a socket it
binds itself to ``--master-addr`` (so nothing listens on other interfaces); each worker's group
lives under its own random key prefix of that store. Gloo's own sockets are bound to the same
addresses (the master's, and on each worker the interface the master reached it through).
Tensors move with ``broadcast`` inside a pair (root = the sender), so

* only the master talks to each worker (a star: one firewall rule or tunnel per worker),
* a failure or a timeout in pair k names worker k,
* every worker's transfer has its own size, and transfers of several workers overlap.

Every operation has the group's timeout; nothing here is ever pickled.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
import socket
from typing import Any

import torch
import torch.distributed as dist

from ..errors import ConfigError
from .frames import Channel
from .tensors import Scratch, pack, payload_size, unpack


def open_store(address: str, port: int, timeout: float) -> tuple[dist.TCPStore, int]:
    """The rendezvous store of a run, listening on ``address:port`` only (port 0: any free).

    Raises:
        ConfigError: the address is not one of this machine's, or the port is taken.
    """
    try:
        family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)
    except OSError as e:
        option = "--master-port" if e.errno == errno.EADDRINUSE else "--master-addr"
        raise ConfigError(f"{option}: cannot listen on {address}:{port} ({e}); --master-addr "
                          "must be an address of this machine that the workers can reach") from None
    port = sock.getsockname()[1]
    store = dist.TCPStore(address, port, None, True, dt.timedelta(seconds=timeout),
                          wait_for_workers=False, master_listen_fd=sock.detach())
    return store, port


def connect_store(address: str, port: int, timeout: float) -> dist.TCPStore:
    """A worker's client connection to the master's store."""
    return dist.TCPStore(address, port, None, False, dt.timedelta(seconds=timeout))


class Pair:
    """A Gloo group of two ranks: the master (0) and one worker (1)."""

    def __init__(self, store: dist.Store, prefix: str, rank: int, hostname: str,
                 timeout: float):
        options = dist.ProcessGroupGloo._Options()
        options._devices = [dist.ProcessGroupGloo.create_device(hostname=hostname)]
        options._timeout = dt.timedelta(seconds=timeout)
        self.rank = rank
        self.traffic = [0, 0]  # tensor bytes sent, received
        self.scratch = Scratch()  # reused for what this side sends
        self.group = dist.ProcessGroupGloo(dist.PrefixStore(prefix, store), rank, 2, options)

    def _broadcast(self, buffer: torch.Tensor, root: int) -> dist.Work:
        options = dist.BroadcastOptions()
        options.rootRank, options.rootTensor = root, 0
        return self.group.broadcast([buffer], options)

    def send(self, buffer: torch.Tensor) -> dist.Work | None:
        """Start sending ``buffer`` (a CPU uint8 tensor) to the other rank."""
        self.traffic[0] += buffer.numel()
        return self._broadcast(buffer, self.rank) if buffer.numel() else None

    def recv(self, nbytes: int) -> tuple[dist.Work | None, torch.Tensor]:
        """Start receiving ``nbytes`` bytes from the other rank: (work, buffer)."""
        buffer = torch.empty(nbytes, dtype=torch.uint8)
        self.traffic[1] += nbytes
        return (self._broadcast(buffer, 1 - self.rank) if nbytes else None), buffer

    def close(self, broken: bool) -> None:
        """End the group: ``abort`` after a failure (nothing is waited for), else ``shutdown``."""
        group, self.group = self.group, None
        if group is not None:
            group.abort() if broken else group.shutdown()


def wait(work: dist.Work | None) -> None:
    """Wait for a transfer started by ``Pair.send``/``Pair.recv`` (raises on failure/timeout)."""
    if work is not None:
        work.wait()


def send_message(channel: Channel, pair: Pair, header: dict[str, Any],
                 tensors: list[torch.Tensor]) -> None:
    """``header`` on the control channel (with the tensors' specs), then the tensors on ``pair``.

    The control frame goes first so that the receiver knows the size before the bytes arrive.
    """
    specs, buffer = pack(tensors, pair.scratch)
    channel.send({**header, "specs": specs})
    wait(pair.send(buffer))


def recv_payload(pair: Pair, header: dict[str, Any]) -> list[torch.Tensor]:
    """The tensors announced by ``header["specs"]``, received on ``pair``."""
    specs = header.get("specs")
    work, buffer = pair.recv(payload_size(specs))
    wait(work)
    return unpack(specs, buffer)


def gist(error: BaseException) -> str:
    """An error in one line, without Gloo's source location and boilerplate."""
    lines = str(error).strip().splitlines()
    text = re.sub(r"^\[[^\]]*\]\s*", "", lines[0]) if lines else type(error).__name__
    return text.split(" This is typically caused by")[0].rstrip(". ")[:300]
