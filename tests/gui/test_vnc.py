"""VNC mode: Xvfb + x11vnc on 127.0.0.1 only, with a VNC password, cleaned up on exit."""

import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import psutil
import pytest

from gui.vnc import WINDOW_MANAGER
from gui.xvfb import missing_binaries

ROOT = Path(__file__).resolve().parents[2]
MISSING = missing_binaries("Xvfb", "x11vnc", "xwininfo")
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"VNC mode tests need {', '.join(MISSING)} "
                          "(apt-get install xvfb x11vnc x11-utils)")

RFB_NONE, RFB_VNC_AUTH = 1, 2


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listeners(port, table):
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    path = Path(f"/proc/net/{table}")
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines()[1:]]
    return [r[1].split(":")[0] for r in rows
            if int(r[1].split(":")[1], 16) == port and r[3] == "0A"]


def other_addresses():
    """This machine's IPv4 addresses that are not loopback."""
    return [a.address for addrs in psutil.net_if_addrs().values() for a in addrs
            if a.family == socket.AF_INET and not a.address.startswith("127.")]


class Output:
    """Collects a process's output lines in a background thread."""

    def __init__(self, stream):
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")),
                         daemon=True).start()

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, "".join(self.lines))
            if match:
                return match
            time.sleep(0.1)
        raise AssertionError(f"no {pattern!r} within {timeout}s; output:\n{''.join(self.lines)}")


def window_size(display, xauth, title):
    """(width, height) of the largest X window whose title contains ``title``, or None."""
    env = {**os.environ, "DISPLAY": display, "XAUTHORITY": xauth}
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                          text=True).stdout
    sizes = []  # Qt also makes a 1x1 "group leader" window with the application's name
    for line in tree.splitlines():
        match = re.search(r'"([^"]*)".*?\s(\d+)x(\d+)[+-]', line)
        if match and title in match.group(1):
            sizes.append((int(match.group(2)), int(match.group(3))))
    return max(sizes, key=lambda s: s[0] * s[1], default=None)


def wait_for_window(display, xauth, title, min_size=(1, 1), timeout=60):
    """Wait until the X display shows a window titled ``title`` at least ``min_size`` big."""
    deadline = time.monotonic() + timeout
    size = None
    while time.monotonic() < deadline:
        size = window_size(display, xauth, title)
        if size and size[0] >= min_size[0] and size[1] >= min_size[1]:
            return size
        time.sleep(0.5)
    raise AssertionError(f"no {title!r} window of at least {min_size} on {display} ({size})")


def test_vnc_mode_is_local_only_password_protected_and_cleans_up(tmp_path):
    port = free_port()
    env = {**os.environ, "FL_VNC_PASSWORD": ""}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.Popen([str(ROOT / "run_gui.sh"), "--vnc", str(port), "--geometry",
                             "1400x900"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = Output(proc.stdout)
        match = output.wait_for(r"VNC password \(generated\): (\S+)", 60)
        assert len(match.group(1)) == 8
        output.wait_for(rf"ssh -N -L {port}:127\.0\.0\.1:{port} \S+@\S+", 5)
        children = psutil.Process(proc.pid).children(recursive=True)
        by_name = {c.name(): c for c in children}
        assert {"Xvfb", "x11vnc"} <= set(by_name), by_name
        if not missing_binaries(WINDOW_MANAGER):  # title bars, moving dialogs, focus
            assert WINDOW_MANAGER in by_name, by_name
        x11vnc = by_name["x11vnc"].cmdline()
        workdir = Path(x11vnc[x11vnc.index("-passwdfile") + 1].removeprefix("rm:")).parent
        display = x11vnc[x11vnc.index("-display") + 1]
        xauth = x11vnc[x11vnc.index("-auth") + 1]
        assert "-localhost" in x11vnc
        wait_for_window(display, xauth, "FL_PyTorch —", min_size=(1400 - 10, 900 - 60))  # fills

        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            version = s.recv(12)
            assert re.fullmatch(rb"RFB 003\.00\d\n", version), version
            s.sendall(b"RFB 003.008\n")
            count = s.recv(1)[0]
            types = list(s.recv(count))
            assert RFB_VNC_AUTH in types and RFB_NONE not in types, types
            s.sendall(bytes([RFB_VNC_AUTH]))
            challenge = s.recv(16)
            assert len(challenge) == 16
            s.sendall(bytes(16))  # a wrong answer to the DES challenge
            assert struct.unpack(">I", s.recv(4))[0] == 1  # SecurityResult: failed

        assert set(listeners(port, "tcp")) == {"0100007F"}  # 127.0.0.1 only
        assert listeners(port, "tcp6") == []
        for address in other_addresses():
            with pytest.raises(OSError), socket.create_connection((address, port), timeout=3):
                pass
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 128 + signal.SIGTERM
    time.sleep(0.5)
    leftovers = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == []
    assert not workdir.exists()  # password and X cookie files are gone


def test_vnc_mode_refuses_a_busy_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([str(ROOT / "run_gui.sh"), "--vnc", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"port {port} is not free" in result.stderr


def test_vnc_password_comes_from_a_file_the_environment_or_is_generated(tmp_path, monkeypatch):
    from gui.vnc import read_password
    monkeypatch.delenv("FL_VNC_PASSWORD", raising=False)
    password, source = read_password(None)
    assert source == "generated" and len(password) == 8 and password.isalnum()
    assert read_password(None)[0] != password
    monkeypatch.setenv("FL_VNC_PASSWORD", "fromenv")
    assert read_password(None) == ("fromenv", "from $FL_VNC_PASSWORD")
    (tmp_path / "pw").write_text("fromfile\nignored\n")
    assert read_password(str(tmp_path / "pw"))[0] == "fromfile"
    (tmp_path / "empty").write_text("")
    with pytest.raises(ValueError, match="cannot read a password"):
        read_password(str(tmp_path / "empty"))
