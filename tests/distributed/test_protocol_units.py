"""The pieces of the remote protocol on their own: frames, the handshake, tensor specs, worker
entries, secrets, and the command line of workers."""

import os
import socket
import stat
import struct
import threading
import time

import pytest
import torch

from fl_pytorch import Config, ConfigError
from fl_pytorch.cli import main
from fl_pytorch.cli_line import worker_commands
from fl_pytorch.distributed.auth import AuthError, answer_master, load_secret, open_worker
from fl_pytorch.distributed.frames import MAX_HANDSHAKE_FRAME, Channel, ProtocolError
from fl_pytorch.distributed.tensors import Scratch, pack, payload_size, unpack
from fl_pytorch.utils.addresses import owners, parse_external_devices

SECRET = b"unit-tests-secret-0123456789"


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield Channel(a, "a"), Channel(b, "b")
    a.close()
    b.close()


def test_frames_round_trip_and_reject_malformed_input(pair):
    a, b = pair
    a.send({"type": "x", "values": [1, 2.5, None, "é"]})
    assert b.recv(5) == {"type": "x", "values": [1, 2.5, None, "é"]}
    for raw, message in [
        (struct.pack(">I", MAX_HANDSHAKE_FRAME + 1), "announced a frame of 65537 bytes"),
        (struct.pack(">I", 3) + b"\xff\xfe\x00", "not UTF-8 JSON"),
        (struct.pack(">I", 2) + b"[]", "not an object with a 'type'"),
        (struct.pack(">I", 12) + b'{"type": 42}', "not an object with a 'type'"),
        (struct.pack(">I", 2000) + b"[" * 2000, "not UTF-8 JSON"),  # nesting bomb
    ]:
        a.sock.sendall(raw)
        with pytest.raises(ProtocolError, match=message):
            b.recv(5)
    with pytest.raises(TimeoutError):
        b.recv(0.05)
    a.sock.close()
    with pytest.raises(ProtocolError, match="closed the connection"):
        b.recv(5)


def test_a_frame_trickled_byte_by_byte_still_times_out():
    sender, receiver = socket.socketpair()
    trickle = threading.Thread(target=lambda: [(sender.send(bytes([c])), time.sleep(0.05))
                                               for c in struct.pack(">I", 100) + b"{" * 20])
    trickle.start()  # a byte every 50 ms: every recv call is quick, the frame never completes
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        Channel(receiver, "slow").recv(0.3)
    assert time.monotonic() - began < 0.6
    trickle.join()
    sender.close()
    receiver.close()


def _raw_frame(sock):
    header = sock.recv(4)
    return header + sock.recv(struct.unpack(">I", header)[0])


def _receiver(*frames):
    """A fresh authenticated channel fed with ``frames``."""
    c, d = socket.socketpair()
    c.sendall(b"".join(frames))
    c.close()
    channel = Channel(d, "d")
    channel.secure(b"k" * 32, b"w", b"m")
    return channel


def test_authenticated_frames_cannot_be_altered_replayed_or_reordered(pair):
    a, b = pair
    a.secure(b"k" * 32, b"m", b"w")
    a.send({"type": "one"})
    a.send({"type": "two"})
    one, two = _raw_frame(b.sock), _raw_frame(b.sock)
    genuine = _receiver(one, two)
    assert [genuine.recv(5), genuine.recv(5)] == [{"type": "one"}, {"type": "two"}]
    for frames in [(one[:-2] + b"0}",), (one, one), (two, one)]:  # altered, replayed, reordered
        channel = _receiver(*frames)
        with pytest.raises(ProtocolError, match="failed authentication"):
            for _ in frames:
                channel.recv(5)
        channel.sock.close()
    genuine.sock.close()


def _handshake(worker_secret, master_secret):
    a, b = socket.socketpair()
    worker, master = Channel(a, "master 1"), Channel(b, "worker 2")
    out = {}

    def serve():
        try:
            out["purpose"] = answer_master(worker, worker_secret)
        except ProtocolError as e:
            out["worker_error"] = e
    thread = threading.Thread(target=serve)
    thread.start()
    try:
        open_worker(master, master_secret, "probe")
        thread.join(10)  # the worker has keyed its channel too
        master.send({"type": "ping"})
        out["ping"] = worker.recv(5)
    except ProtocolError as e:
        out["master_error"] = e
    thread.join(10)
    a.close()
    b.close()
    return out


def test_handshake_with_the_right_secret_authenticates_both_sides():
    out = _handshake(SECRET, SECRET)
    assert out == {"purpose": "probe", "ping": {"type": "ping"}}


def test_handshake_with_a_wrong_secret_is_refused_on_both_sides():
    out = _handshake(SECRET, b"another-secret-0123456789")
    assert isinstance(out["worker_error"], AuthError)
    assert str(out["worker_error"]) == "refused master 1: wrong secret"
    assert isinstance(out["master_error"], AuthError)
    assert str(out["master_error"]) == "worker 2 refused the connection: wrong secret"


def test_a_worker_that_does_not_know_the_secret_cannot_pass_for_one():
    a, b = socket.socketpair()
    fake, master = Channel(a), Channel(b, "worker 9")
    fake.send({"type": "hello", "protocol": "fl_pytorch-remote/1", "nonce": "00" * 32})
    fake.send({"type": "welcome", "mac": "00" * 32})  # answers without checking anything
    with pytest.raises(AuthError, match="worker 9 could not prove that it knows the shared secret"):
        open_worker(master, SECRET, "run")
    a.close()
    b.close()


def test_tensor_specs_round_trip_every_dtype_and_refuse_lies():
    tensors = [torch.randn(3, 4), torch.tensor(True), torch.arange(5), torch.randn(2).double(),
               torch.empty(0, 3), torch.randn(7).bfloat16(), torch.randn(4, 4).t(),
               torch.randint(0, 9, (3,), dtype=torch.int8), torch.randn(2, dtype=torch.cfloat)]
    specs, buffer = pack(tensors)
    assert buffer.numel() == payload_size(specs)
    for original, copy in zip(tensors, unpack(specs, buffer)):
        assert copy.dtype == original.dtype and torch.equal(copy, original)
    for bad in ([["object", [1]]], [["float32", [-1]]], [["float32", [True]]], "x",
                [["float32", [1 << 40]]]):
        with pytest.raises(ProtocolError):
            payload_size(bad)
    with pytest.raises(ProtocolError, match=f"buffer of {buffer.numel() - 1} bytes, specs say"):
        unpack(specs, buffer[:-1])
    scratch = Scratch()
    scratch.get(64).fill_(255)  # a reused buffer holds the last payload's bytes
    specs, reused = pack([torch.ones(1, dtype=torch.uint8), torch.ones(2, dtype=torch.float64)],
                         scratch)
    assert reused.numel() == 24 and reused[1:8].eq(0).all()  # padding never leaks old bytes
    assert [t.tolist() for t in unpack(specs, reused)] == [[1], [1.0, 1.0]]


def test_external_devices_group_entries_and_share_clients_by_devices():
    workers = parse_external_devices("a:1:cpu,b:2:0,b:2:cuda:1")
    assert [(w.name, w.gpu) for w in workers] == [("a:1", "-1"), ("b:2", "0,1")]
    assert owners(workers, 7) == [0, 1, 1, 0, 1, 1, 0]
    for spec, message in [("a:1", "expected host:port:device"), ("a:0:cpu", "invalid port"),
                          ("a b:1:cpu", "invalid host"), ("a:1:tpu", "invalid device"),
                          ("a:1:cpu,a:1:cpu", "listed twice")]:
        with pytest.raises(ConfigError, match=f"--external-devices: invalid value.*{message}"):
            parse_external_devices(spec)


def test_secrets_come_from_a_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("FL_PYTORCH_SECRET", raising=False)
    with pytest.raises(ConfigError, match="--remote-secret-file: no shared secret"):
        load_secret("", "--remote-secret-file")
    monkeypatch.setenv("FL_PYTORCH_SECRET", "short")
    with pytest.raises(ConfigError, match="has 5 characters; use at least 16"):
        load_secret("", "--remote-secret-file")
    monkeypatch.setenv("FL_PYTORCH_SECRET", "x" * 16)
    assert load_secret("", "--remote-secret-file") == b"x" * 16
    path = tmp_path / "s.txt"
    assert main(["worker", "--new-secret", str(path)]) == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(load_secret(str(path), "--secret-file")) == 64


def test_command_line_of_a_remote_run_prints_the_worker_commands(capsys):
    config = Config(external_devices="10.0.0.2:29500:0,10.0.0.2:29500:1,10.0.0.3:29501:cpu",
                    remote_secret_file="secret.txt", rounds=3)
    assert worker_commands(config) == [
        "# on 10.0.0.2: ./run.sh worker --host 10.0.0.2 --port 29500 --secret-file secret.txt",
        "# on 10.0.0.3: ./run.sh worker --host 10.0.0.3 --port 29501 --secret-file secret.txt"]
    assert main([*config.to_argv(), "--show-command-line"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("./run.sh --rounds 3 ") and "--external-devices" in lines[0]
    assert lines[1:] == worker_commands(config)
    assert Config.from_dict(config.to_dict()).to_argv() == config.to_argv()


@pytest.mark.parametrize("argv,message", [
    (["--external-devices", "node7:29500"], "--external-devices: invalid value"),
    (["--master-addr", "0.0.0.0"], "--master-addr: invalid value '0.0.0.0'"),
    (["--remote-messages", "some"], "--remote-messages: invalid value 'some'"),
    (["worker"], "--port: a port to listen on is required"),
    (["--worker-listen-mode", "99999", "--secret-file", "{secret}"], "--port: invalid value"),
    (["worker", "--probe", "nohost", "--secret-file", "{secret}"], "--probe: invalid value"),
])
def test_bad_remote_options_are_one_error_line_and_status_2(argv, message, capsys, tmp_path):
    secret = tmp_path / "s.txt"
    secret.write_text("x" * 20)
    assert main([a.replace("{secret}", str(secret)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
