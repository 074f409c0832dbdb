"""Nobody can keep the master out of a worker: idle, slow or junk connections hold no thread and
make room for new ones; a non-ASCII MAC is refused like any wrong one."""

import json
import queue
import socket
import struct
import threading

import pytest

from fl_pytorch.distributed.auth import HANDSHAKE_TIMEOUT, AuthError, open_worker
from fl_pytorch.distributed.frames import Channel
from fl_pytorch.distributed.handshakes import MAX_PENDING, HandshakeListener
from fl_pytorch.distributed.probe import probe_worker

from .conftest import SECRET

MASTER_BUDGET = 2.0  # seconds the master may take for each step of its handshake


def _idle(port, n, first_bytes=b""):
    """``n`` connections to ``port`` that send ``first_bytes`` (or nothing) and then stall."""
    socks = []
    for _ in range(n):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if first_bytes:
            sock.sendall(first_bytes)
        socks.append(sock)
    return socks


def _close(socks):
    for sock in socks:
        sock.close()


def test_a_hundred_idle_connections_do_not_keep_the_master_out(workers):
    port = workers[0].port
    crowd = _idle(port, 80) + _idle(port, 20, struct.pack(">I", 60000) + b'{"type"')
    try:  # the old design (16 handshake slots for 10 s each) closed the master's connection
        status = probe_worker("127.0.0.1", port, SECRET.encode(), timeout=MASTER_BUDGET)
        assert status.state == "online", status.message
        assert [s.recv(4) != b"" for s in crowd[:3]] == [True] * 3  # each got its hello
    finally:
        _close(crowd)


def test_more_waiting_connections_than_the_limit_evict_the_oldest(workers):
    port = workers[1].port
    crowd = _idle(port, MAX_PENDING + 20)
    try:
        status = probe_worker("127.0.0.1", port, SECRET.encode(), timeout=MASTER_BUDGET)
        assert status.state == "online", status.message
        oldest = crowd[0]
        oldest.settimeout(HANDSHAKE_TIMEOUT)
        hello = oldest.recv(4096)
        assert hello and oldest.recv(4096) == b""  # hello, then closed to make room
    finally:
        _close(crowd)


@pytest.fixture
def listener():
    """An in-process handshake listener polled by a thread; yields its port and a queue of
    the connections it authenticated."""
    server = socket.create_server(("127.0.0.1", 0))
    handshakes = HandshakeListener(server, SECRET.encode(), timeout=5, max_pending=4)
    done, stop = queue.Queue(), threading.Event()

    def loop():
        while not stop.is_set():
            for item in handshakes.poll(0.05):
                done.put(item)
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.getsockname()[1], done
    stop.set()
    thread.join(5)
    handshakes.close()
    server.close()


def _auth_frame(hello, mac):
    body = json.dumps({"type": "auth", "protocol": hello["protocol"], "purpose": "probe",
                       "nonce": "ab" * 32, "mac": mac}).encode()
    return struct.pack(">I", len(body)) + body


def test_a_non_ascii_mac_is_refused_as_a_wrong_secret(listener):
    port, done = listener
    channel = Channel(socket.create_connection(("127.0.0.1", port), timeout=5), "worker")
    hello = channel.recv(5)
    channel.sock.sendall(_auth_frame(hello, "é" * 64))
    assert channel.recv(5) == {"type": "refused", "reason": "wrong secret"}
    channel.close()
    assert done.empty()


def test_the_listener_authenticates_a_master_among_idle_connections(listener):
    port, done = listener
    crowd = _idle(port, 6)  # more than max_pending=4: the first two make room
    try:
        channel = Channel(socket.create_connection(("127.0.0.1", port), timeout=5), "w")
        open_worker(channel, SECRET.encode(), "probe", timeout=MASTER_BUDGET)
        channel.send({"type": "ping"})
        worker_side, purpose = done.get(timeout=5)
        assert purpose == "probe" and worker_side.recv(5) == {"type": "ping"}
        assert crowd[0].recv(4096) and crowd[0].recv(4096) == b""
        channel.close()
        worker_side.close()
    finally:
        _close(crowd)


def test_the_master_refuses_a_worker_with_a_non_ascii_mac():
    a, b = socket.socketpair()
    fake, master = Channel(a, "fake"), Channel(b, "worker 9")

    def serve():
        fake.send({"type": "hello", "protocol": "fl_pytorch-remote/1", "nonce": "cd" * 32})
        fake.recv(5)
        fake.send({"type": "welcome", "mac": "ü" * 64})
    thread = threading.Thread(target=serve)
    thread.start()
    with pytest.raises(AuthError, match="could not prove that it knows the shared secret"):
        open_worker(master, SECRET.encode(), "probe", timeout=5)
    thread.join(5)
    a.close()
    b.close()
