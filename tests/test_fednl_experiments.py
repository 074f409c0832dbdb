"""The FedNL benchmark and the uFedNL-table script cannot rot: both run here in a tiny mode.

Small LIBSVM files named like the real ones (``w8a``, ``phishing``) stand in for the datasets;
the scripts run end to end through ``run.sh``'s configuration and write what they promise.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.convergence.fednl_problem import write_libsvm

ROOT = Path(__file__).resolve().parents[1]


def _script(relative: str):
    spec = importlib.util.spec_from_file_location(Path(relative).stem, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def data(tmp_path):
    write_libsvm(tmp_path / "w8a", clients=4, samples=30, features=20)
    write_libsvm(tmp_path / "phishing", clients=4, samples=30, features=8, seed=1)
    return tmp_path


def test_bench_fednl_prints_time_memory_and_the_ratio(data, capsys):
    out = _script("experiments/bench/bench_fednl.py").main(
        ["--data-path", str(data), "--rounds", "6", "--clients", "4", "--threads", "1"])
    text = capsys.readouterr().out
    assert out["ms"] > 0 and out["grad"] < 1 and 0 < out["ratio"] < 1
    assert "ms/round (batched" in text and "peak memory" in text and "ratio this tool" in text


def test_bench_fednl_says_how_to_get_the_data(tmp_path):
    with pytest.raises(SystemExit, match="no LIBSVM file .*w8a; get https://.*w8a"):
        _script("experiments/bench/bench_fednl.py").main(["--data-path", str(tmp_path)])


def test_the_ufednl_table_script_writes_table_and_figures(data, tmp_path, capsys):
    out_dir = tmp_path / "out"
    rows = _script("experiments/fednl/reproduce_table.py").main(
        ["--data-path", str(data), "--rounds", "8", "--clients", "4", "--threads", "1",
         "--out-dir", str(out_dir)])
    assert [(r["dataset"], r["compressor"]) for r in rows] == [
        (n, f"{c}:8d") for n in ("w8a", "phishing") for c in ("topk", "toplek", "randk",
                                                               "randseqk")]
    assert all(r["grad"] < 0.1 for r in rows)
    table = (out_dir / "table.md").read_text()
    assert table.count("\n") == 10 and "toplek:8d" in table
    for name in ("w8a", "phishing"):
        assert (out_dir / f"fednl_{name}.png").stat().st_size > 10_000


def test_the_ufednl_table_script_says_how_to_get_the_data(tmp_path):
    with pytest.raises(SystemExit, match="w8a, phishing not found .*phishing"):
        _script("experiments/fednl/reproduce_table.py").main(["--data-path", str(tmp_path)])
