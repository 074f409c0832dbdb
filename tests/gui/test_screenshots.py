"""experiments/screenshots.py drives a real window under Xvfb and writes the docs' PNGs."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from gui.xvfb import missing_binaries

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(bool(missing_binaries("Xvfb")),
                    reason="needs Xvfb (apt-get install xvfb) for a real X window")
def test_screenshot_script_writes_every_tab(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "experiments" / "screenshots.py"), "--out",
                    str(tmp_path), "--rounds", "20", "--size", "1100x700"],
                   check=True, capture_output=True, timeout=300)
    for name in ("configuration", "simulation", "analysis", "command_line"):
        data = (tmp_path / f"gui_{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        if name != "command_line":
            assert (width, height) == (1100, 700)
        assert len(data) > 20_000  # a drawn window, not a blank screen
