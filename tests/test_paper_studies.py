"""The paper-study scripts run end to end in a tiny mode: result files of every configuration
and seed, and the figure (experiments/paper/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fl_pytorch import load_result

ROOT = Path(__file__).resolve().parents[1]
STUDIES = {"study_4_1.py": (5, []), "study_4_2.py": (4, []),
           "study_4_3.py": (3, ["--small", "--rounds", "1"])}


@pytest.mark.parametrize("script", list(STUDIES))
def test_study_writes_every_run_and_the_figure(script, tmp_path):
    curves, extra = STUDIES[script]
    seeds = 1 if "--small" in extra else 2
    argv = [sys.executable, str(ROOT / "experiments" / "paper" / script), "--seeds",
            str(seeds), "--workers", "1", "--out-dir", str(tmp_path / "runs"), "--figure",
            str(tmp_path / "figure.png"), *(extra or ["--rounds", "3"])]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "figure.png").stat().st_size > 10_000
    results = [load_result(p) for p in sorted((tmp_path / "runs").glob("*.bin"))]
    assert len(results) == curves * seeds
    assert all(r["status"] == "finished" for r in results)
    assert len({r["config"]["group_name"] for r in results}) == curves
    assert {r["config"]["manual_runtime_seed"] for r in results} == set(range(1, seeds + 1))
    again = subprocess.run(argv, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert again.returncode == 0 and "wrote" not in again.stdout  # finished runs are kept
