"""User extensions as plugins reach every front end: the command line, its printed command line,
installed entry points and the GUI's lists. Each case runs in a fresh interpreter, so the
plugin's registrations stay out of this test process."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from fl_pytorch import load_result

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "experiments" / "tutorial" / "my_algorithm.py"
QUAD = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec",
        "clients:4,samples_per_client:10,variables:5,homogeneous:0,l:2,mu:1", "--model",
        "linear", "--loss", "mse", "--rounds", "3", "--client-sampling-type", "full",
        "--algorithm-options", "internal_sgd:full-gradient,alpha:1", "--compute-type", "fp64"]


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "run.sh"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_plugin_algorithm_runs_and_its_command_line_runs_unchanged(tmp_path):
    out = tmp_path / "a.bin"
    first = _run(["--plugins", str(PLUGIN), "--algorithm", "feddyn", *QUAD, "--out", str(out)],
                 tmp_path)
    assert first.returncode == 0, first.stderr
    shown = _run(["--plugins", str(PLUGIN), "--algorithm", "feddyn", *QUAD, "--out",
                  str(tmp_path / "b.bin"), "--show-command-line"], tmp_path)
    line = shown.stdout.strip().splitlines()[0]
    assert "--plugins" in line and "--algorithm feddyn" in line
    again = subprocess.run(shlex.split(line.replace("./run.sh", str(ROOT / "run.sh"), 1)),
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    a, b = load_result(out), load_result(tmp_path / "b.bin")
    assert a["config"]["algorithm"] == "feddyn" and (a["final_params"] == b["final_params"]).all()


def test_a_plugin_that_cannot_load_is_one_line_and_exit_2(tmp_path):
    proc = _run(["--plugins", "no_such_plugin_module", *QUAD, "--out", str(tmp_path / "x.bin")],
                tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "--plugins: cannot load 'no_such_plugin_module'" in proc.stderr
    assert not (tmp_path / "x.bin").exists()


def test_an_installed_entry_point_loads_by_itself(tmp_path):
    """A package declaring ``fl_pytorch.plugins`` needs no --plugins."""
    site = tmp_path / "site"
    (site / "feddyn_pkg").mkdir(parents=True)
    (site / "feddyn_pkg" / "__init__.py").write_text(PLUGIN.read_text())
    info = site / "feddyn_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: feddyn-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[fl_pytorch.plugins]\nfeddyn = feddyn_pkg\n")
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{site}"}
    proc = _run(["--algorithm", "feddyn", *QUAD, "--out", str(tmp_path / "e.bin")], tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert load_result(tmp_path / "e.bin")["status"] == "finished"


GUI_SCRIPT = """
import json, sys
from PyQt5.QtWidgets import QApplication
app = QApplication([])
from gui.tabs.config_tab import ConfigTab
tab = ConfigTab()
combo = tab.editors["algorithm"].combo
before = [combo.itemText(i) for i in range(combo.count())]
tab.editors["plugins"].set_value(sys.argv[1])
tab.revalidate()
after = [combo.itemText(i) for i in range(combo.count())]
tab.editors["algorithm"].set_value("feddyn")
tab.editors["algorithm_options"].set_value("alpha:1")
tab.revalidate()
print(json.dumps({"before": before, "after": after, "errors": tab.errors,
                  "config": tab.current_config() is not None}))
"""


def test_the_gui_lists_the_plugin_algorithm_and_accepts_its_options(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", GUI_SCRIPT, str(PLUGIN)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    shown = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "feddyn" not in shown["before"] and "feddyn" in shown["after"]
    assert shown["errors"] == {} and shown["config"]
