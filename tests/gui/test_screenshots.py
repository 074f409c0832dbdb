"""experiments/screenshots.py drives a real window under Xvfb and writes the docs' PNGs."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from gui.vnc import WINDOW_MANAGER
from gui.xvfb import missing_binaries

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(bool(missing_binaries("Xvfb")),
                    reason="needs Xvfb (apt-get install xvfb) for a real X window")
def test_screenshot_script_writes_every_tab(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "experiments" / "screenshots.py"), "--out",
                    str(tmp_path), "--rounds", "20", "--size", "1100x700"],
                   check=True, capture_output=True, timeout=300)
    names = ["configuration", "simulation", "analysis", "command_line"]
    if not missing_binaries(WINDOW_MANAGER):
        names.append("vnc")  # the whole screen with openbox's frames
    for name in names:
        data = (tmp_path / f"gui_{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
        if name in ("configuration", "simulation", "analysis"):
            assert (width, height) == (1100, 700)
        if name == "vnc":
            assert (width, height) == (1140, 740)  # the virtual screen
        assert len(data) > 20_000  # a drawn window, not a blank screen


def test_analysis_tab_renders_three_runs_in_two_groups_with_distinct_legends(window, tmp_path):
    from PyQt5.QtGui import QImage

    from fl_pytorch import Config, run

    from .conftest import QUADRATIC
    base = Config(**{**QUADRATIC, "algorithm_options": "internal_sgd:sgd", "batch_size": 4},
                  rounds=8, quiet=True)
    runs = {"a-seed1": dict(group_name="a", manual_runtime_seed=1),
            "a-seed2": dict(group_name="a", manual_runtime_seed=2),
            "b": dict(group_name="b", local_lr=0.05)}  # three FedAvg runs, two groups
    files = [tmp_path / f"{name}.bin" for name in runs]
    for path, changes in zip(files, runs.values()):
        run(base.replace(**changes), out=path)
    window.resize(1200, 800)
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.open_files(files) == 3
    page = tab.page()
    page.settings.choose("x", "bits")
    page.settings.log_y_check.setChecked(True)
    assert page.figure.axes[0].get_yscale() == "log"
    assert page.figure.axes[0].get_xlabel() == "bits sent uplink (cumulative)"
    grouped = page.legend_entries()
    assert len(grouped) == 2 and len(set(grouped)) == 2, grouped
    page.settings.group_combo.setCurrentText("(no grouping)")
    page.settings.group_combo.activated.emit(0)
    single = page.legend_entries()
    assert len(single) == 3 and len(set(single)) == 3, single
    shot = tmp_path / "analysis.png"
    assert window.grab().save(str(shot))
    image = QImage(str(shot))
    colors = {image.pixel(x, y) for x in range(0, image.width(), 7)
              for y in range(0, image.height(), 7)}
    assert image.width() == 1200 and len(colors) > 20  # a drawn tab, not a blank window
