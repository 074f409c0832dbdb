"""Malformed or hostile input on a worker's port and on the master's ports is rejected without
crashing anything and without executing anything (no pickle is ever loaded)."""

import os
import pickle
import socket
import struct
import threading
import time

import psutil

from fl_pytorch import Callback, run
from fl_pytorch.api import load_secret, probe_worker

from .conftest import quadratic, same_bits


class _Payload:
    """Unpickling this runs ``touch <marker>``: proof of execution if it ever happens."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _send(port, data, read=True):
    """Connect, send ``data``, return what the peer answered before closing (up to 64 KiB)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        hello = sock.recv(65536) if read else b""
        try:
            sock.sendall(data)
            sock.settimeout(15)
            while sock.recv(65536):
                pass  # until the worker closes the connection
        except OSError:
            pass  # reset by the worker: fine
    return hello


def test_worker_rejects_junk_and_pickles_and_keeps_serving(workers, secret_file, remote,
                                                           tmp_path):
    worker = workers[0]
    marker = tmp_path / "executed"
    evil = pickle.dumps(_Payload(marker))
    attacks = [
        os.urandom(3000),                                    # random bytes
        evil,                                                # a raw pickle
        struct.pack(">I", len(evil)) + evil,                 # a pickle in a well-formed frame
        b"\xff\xff\xff\xff" + b"x" * 100,                    # a 4 GiB frame announced
        struct.pack(">I", 8) + b"[1,2,3]\n",                 # JSON, but not an object
        struct.pack(">I", 16) + b'{"type": "auth"}',         # an auth frame without a proof
        struct.pack(">I", 4) + b"\xc3\x28\xa0\xa1",          # invalid UTF-8
    ]
    silent = socket.create_connection(("127.0.0.1", worker.port))  # says nothing at all
    try:
        for data in attacks:
            hello = _send(worker.port, data)
            assert b'"type":"hello"' in hello  # the worker spoke first, then judged the input
        status = probe_worker("127.0.0.1", worker.port, load_secret(str(secret_file), "s"))
        assert status.state == "online", status.message  # served while the silent one waits
    finally:
        silent.close()
    assert not marker.exists()
    assert worker.alive()
    log = worker.log.read_text()
    assert "not UTF-8 JSON" in log and "announced a frame of 4294967295 bytes" in log
    result = run(quadratic(**remote, rounds=3), out=tmp_path / "after.bin")
    assert result["status"] == "finished", result["error"]


class _Junk(Callback):
    """After round ``at``, sends junk to every listening TCP socket of this (master) process."""

    def __init__(self, at, data):
        self.at, self.data, self.ports = at, data, []

    def after_round(self, info, row):
        if row["round"] != self.at:
            return
        process = psutil.Process()
        connections = getattr(process, "net_connections", process.connections)  # psutil < 6
        self.ports = sorted({c.laddr.port for c in connections("tcp")
                             if c.status == psutil.CONN_LISTEN})
        for port in self.ports:
            for data in self.data:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                        sock.sendall(data)
                except OSError:
                    pass


def test_master_survives_junk_on_its_store_and_gloo_ports(remote, tmp_path):
    config = quadratic(algorithm="scaffold", batch_size=20, rounds=6)
    local = run(config, out=tmp_path / "local.bin")
    junk = _Junk(2, [os.urandom(4096), pickle.dumps(_Payload(tmp_path / "executed")),
                     b"\x00" * 100_000])
    result = run(config.replace(**remote), [junk], out=tmp_path / "remote.bin")
    assert len(junk.ports) >= 3  # the store and one Gloo listener per worker pair
    assert result["status"] == "finished", result["error"]
    assert same_bits(result, local) and not (tmp_path / "executed").exists()


def _hostile_worker(replies):
    """A fake 'worker' on a free port: answers each connection with the next of ``replies``."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(30)

    def serve():
        for data in replies:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(data)
                time.sleep(0.2)
        server.close()
    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def test_master_rejects_a_hostile_worker(secret_file, tmp_path):
    marker = tmp_path / "executed"
    evil = pickle.dumps(_Payload(marker))
    replies = [struct.pack(">I", len(evil)) + evil, os.urandom(64),
               struct.pack(">I", 29) + b'{"type":"hello","nonce":"00"}']
    port = _hostile_worker([r for r in replies for _ in range(2)])  # the preflight probe, the run
    errors = []
    for _ in replies:
        result = run(quadratic(external_devices=f"127.0.0.1:{port}:cpu",
                               remote_secret_file=str(secret_file), rounds=2),
                     out=tmp_path / "r.bin")
        assert result["status"] == "failed"
        errors.append(result["error"])
    assert f"worker 127.0.0.1:{port} sent a frame that is not UTF-8 JSON" in errors[0]
    assert not marker.exists()
    assert f"worker 127.0.0.1:{port}" in errors[1]
    assert f"worker 127.0.0.1:{port} speaks 'None'" in errors[2]
