"""The ``results`` subcommand through its argparse parser: output, files and exit codes."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from fl_pytorch.results import (
    FORMAT,
    VERSION,
    add_results_parser,
    run_results_command,
    save_result,
)


def make_result(seed: int = 0, group: str = "", rounds: int = 4) -> dict:
    """A small valid result; ``seed`` changes the numbers."""
    rng = np.random.default_rng(seed)
    n = rounds + 1
    return {
        "format": FORMAT, "version": VERSION, "status": "finished", "error": None,
        "config": {"algorithm": "marina", "client_compressor": "randk:2", "group_name": group,
                   "manual_runtime_seed": seed, "rounds": rounds, "dataset": "a1a"},
        "command_line": "./run.sh --algorithm marina",
        "metrics": {"round": np.arange(n, dtype=float), "loss": 1.0 / (1.0 + np.arange(n)),
                    "wall_time": np.cumsum(rng.random(n)), "bits_up_cum": np.arange(n) * 128.0},
        "final_params": rng.standard_normal(3),
        "problem": {"name": "logreg", "dimension": 3},
        "environment": {"python": "3.11", "torch": "2", "numpy": "2", "platform": "linux",
                        "hostname": "h", "devices": ["cpu"], "started_at": "t0",
                        "finished_at": "t1"},
    }


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="fl_pytorch")
    add_results_parser(parser.add_subparsers(dest="command", required=True))
    return run_results_command(parser.parse_args(["results", *argv]))


@pytest.fixture
def result_file(tmp_path: Path) -> Path:
    return save_result(make_result(), tmp_path / "run.bin")


class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_show(result_file: Path, capsys) -> None:
    assert run(["show", str(result_file), str(result_file)]) == 0
    out = capsys.readouterr().out
    assert out.count("status: finished") == 2
    assert "algorithm: marina" in out and "rounds done: 4 of 4" in out
    assert "loss: last 0.2 (round 4)" in out


def test_list_file_and_folder(tmp_path: Path, result_file: Path, capsys) -> None:
    save_result(make_result(seed=1), tmp_path / "other.pkl")
    (tmp_path / "notes.txt").write_text("ignored")
    assert run(["list", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in out] == [str(tmp_path / "other.pkl"), str(result_file)]
    assert "4/4 rounds" in out[0] and "marina" in out[0]


def test_csv_to_stdout_and_file(tmp_path: Path, result_file: Path, capsys) -> None:
    assert run(["csv", str(result_file)]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["round", "loss", "wall_time", "bits_up_cum"]
    np.testing.assert_array_equal([float(r[1]) for r in rows[1:]], 1.0 / (1.0 + np.arange(5)))
    out = tmp_path / "m.csv"
    assert run(["csv", str(result_file), "-o", str(out)]) == 0
    assert list(csv.reader(io.StringIO(out.read_text()))) == rows


def test_json_to_file(tmp_path: Path, result_file: Path) -> None:
    out = tmp_path / "r.json"
    assert run(["json", str(result_file), "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["config"]["algorithm"] == "marina" and "final_params" not in data


def test_plot_group_to_png(tmp_path: Path, capsys) -> None:
    files = [str(save_result(make_result(seed=s, group="g"), tmp_path / f"s{s}.bin"))
             for s in range(3)]
    out = tmp_path / "fig.png"
    code = run(["plot", *files, "-o", str(out), "--x", "bits", "--y", "loss", "--log-y",
                "--legend", "{algorithm} seed {manual_runtime_seed}"])
    assert code == 0
    assert out.read_bytes().startswith(b"\x89PNG")
    assert str(out) in capsys.readouterr().out


def test_missing_file_exit_2_one_line(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing.bin"
    for argv in (["show", str(missing)], ["csv", str(missing)],
                 ["plot", str(missing), "-o", str(tmp_path / "p.png")]):
        assert run(argv) == 2
        captured = capsys.readouterr()
        line = _one_error_line(captured.err)
        assert "not found" in line and str(missing) in line
        assert captured.out == ""
    assert not (tmp_path / "p.png").exists()


def test_unsafe_pickle_exit_2_without_side_effect(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.bin"
    evil.write_bytes(pickle.dumps(Evil(marker)))
    for argv in (["show", str(evil)], ["csv", str(evil)], ["list", str(evil)]):
        assert run(argv) == 2
        line = _one_error_line(capsys.readouterr().err)
        assert "refused" in line and "system" in line
    assert not marker.exists()


@pytest.mark.parametrize("extra, expected", [
    (["--x", "epochs"], "valid choices: rounds, bits, time, oracle"),
    (["--y", "acc"], "'acc' is not a recorded metric; valid choices: round, wall_time"),
    (["--legend", "{nope}"], "unknown key 'nope'"),
])
def test_plot_bad_axis_exit_2(tmp_path: Path, result_file: Path, capsys, extra, expected) -> None:
    out = tmp_path / "p.png"
    assert run(["plot", str(result_file), "-o", str(out), *extra]) == 2
    assert expected in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_plot_bad_extension_exit_2(tmp_path: Path, result_file: Path, capsys) -> None:
    assert run(["plot", str(result_file), "-o", str(tmp_path / "p.gif")]) == 2
    assert "valid extensions: .png, .pdf, .svg" in _one_error_line(capsys.readouterr().err)
