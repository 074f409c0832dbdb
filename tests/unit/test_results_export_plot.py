"""CSV/JSON export, summary, and plots (data of the drawn lines and bands, image files)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from fl_pytorch.results import (
    FORMAT,
    VERSION,
    X_AXES,
    plot_runs,
    save_figure,
    save_json,
    summary,
    to_csv,
    to_json,
)

ROOT = Path(__file__).resolve().parents[2]


def make_result(seed: int = 0, rounds: int = 6, group: str = "", algorithm: str = "fedavg",
                compressor: str = "ident", eval_every: int = 1) -> dict:
    """A valid result whose metrics depend on ``seed``; loss is NaN between evaluations."""
    rng = np.random.default_rng(seed)
    n = rounds + 1
    r = np.arange(n)
    loss = np.exp(-0.3 * r) + 0.05 * rng.random(n)
    loss[(r % eval_every != 0) & (r != rounds)] = np.nan
    return {
        "format": FORMAT, "version": VERSION, "status": "finished", "error": None,
        "config": {"algorithm": algorithm, "client_compressor": compressor, "group_name": group,
                   "manual_runtime_seed": seed, "rounds": rounds, "dataset": "quadratic",
                   "model": "linear"},
        "command_line": f"./run.sh --algorithm {algorithm} --manual-runtime-seed {seed}",
        "metrics": {
            "round": r.astype(np.int64),
            "wall_time": np.cumsum(0.1 + rng.random(n)),
            "loss": loss,
            "top1_acc": np.linspace(0.2, 0.8, n) + 0.01 * rng.random(n),
            "oracle_grad_samples": r * 100.0,
            "bits_up_cum": r * (320.0 + seed),
            "bits_down_cum": r * 64.0,
            "sim_time_cum": np.cumsum(0.5 * rng.random(n)),
        },
        "final_params": rng.standard_normal(4),
        "problem": {"name": "quadratic", "dimension": 4, "L": 2.0, "mu": 1.0},
        "environment": {"python": "3.11", "torch": "2", "numpy": "2", "platform": "linux",
                        "hostname": "host1", "devices": ["cpu"], "started_at": "t0",
                        "finished_at": "t1"},
    }


# --- CSV ---------------------------------------------------------------------------------------

def _parse_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def test_csv_round_trips_numbers(tmp_path: Path) -> None:
    result = make_result(eval_every=2)
    path = tmp_path / "out" / "m.csv"
    to_csv(result, path)
    header, rows = _parse_csv(path.read_text())
    assert header == list(result["metrics"])
    assert len(rows) == 7
    for j, name in enumerate(header):
        expected = result["metrics"][name]
        for i, row in enumerate(rows):
            if np.isnan(expected[i]):
                assert row[j] == ""  # NaN -> empty field
            else:
                assert float(row[j]) == expected[i]  # exact round trip
    assert [row[0] for row in rows] == [str(i) for i in range(7)]  # ints stay ints
    assert os.listdir(path.parent) == ["m.csv"]


def test_csv_to_open_file() -> None:
    result = make_result()
    buf = io.StringIO()
    to_csv(result, buf)
    header, rows = _parse_csv(buf.getvalue())
    got = np.array([float(row[header.index("loss")]) for row in rows])
    np.testing.assert_array_equal(got, result["metrics"]["loss"])


# --- JSON --------------------------------------------------------------------------------------

def test_json_config_metrics_nan_to_null(tmp_path: Path) -> None:
    result = make_result(eval_every=3)
    result["problem"]["inf_value"] = math.inf
    data = json.loads(to_json(result))
    assert data["config"] == result["config"]
    assert "final_params" not in data
    loss = result["metrics"]["loss"]
    assert data["metrics"]["loss"] == [None if np.isnan(v) else v for v in loss]
    assert data["metrics"]["round"] == list(range(7))
    assert data["problem"]["inf_value"] is None
    path = save_json(result, tmp_path / "r.json", include_params=True)
    with_params = json.loads(path.read_text())
    assert with_params["final_params"] == result["final_params"].tolist()


# --- summary -----------------------------------------------------------------------------------

def test_summary_reports_status_rounds_last_and_best() -> None:
    result = make_result(rounds=6)
    result["metrics"]["loss"] = np.array([5.0, 3.0, 0.5, 1.0, np.nan, 2.0, np.nan])
    result["metrics"]["top1_acc"] = np.array([0.1, 0.9, 0.3, 0.2, 0.4, 0.5, 0.6])
    text = summary(result)
    assert "status: finished" in text
    assert "algorithm: fedavg" in text and "dataset: quadratic" in text
    assert "rounds done: 6 of 6" in text
    assert "loss: last 2 (round 5), best 0.5 (round 2)" in text
    assert "top1_acc: last 0.6 (round 6), best 0.9 (round 1)" in text
    assert "up 1920 bits (240 B)" in text  # 6 rounds * 320 bits
    wall = result["metrics"]["wall_time"][-1]
    assert f"wall time: {wall:.3f} s" in text


def test_summary_of_failed_run() -> None:
    result = make_result(rounds=6)
    result["status"], result["error"] = "failed", "loss is NaN at round 3"
    for name, values in result["metrics"].items():
        result["metrics"][name] = values[:4].astype(float)
        result["metrics"][name][3:] = np.nan if name != "round" else 3
    text = summary(result)
    assert "status: failed (loss is NaN at round 3)" in text
    assert "rounds done: 3 of 6" in text
    assert "loss: last" in text and "(round 2)" in text


# --- plots -------------------------------------------------------------------------------------

@pytest.mark.parametrize("x", list(X_AXES))
def test_line_data_equal_metric_arrays(x: str) -> None:
    results = [make_result(seed=s, eval_every=2, algorithm=a) for s, a in ((0, "fedavg"),
                                                                            (1, "scaffold"))]
    fig = plot_runs(results, x=x, y="loss")
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    for line, r in zip(ax.lines, results):
        keep = ~np.isnan(r["metrics"]["loss"])
        assert keep.sum() == 4  # rounds 0, 2, 4, 6
        np.testing.assert_array_equal(line.get_xdata(), r["metrics"][X_AXES[x]][keep])
        np.testing.assert_array_equal(line.get_ydata(), r["metrics"]["loss"][keep])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fedavg", "scaffold"]  # auto


def test_group_of_seeds_is_mean_line_with_std_band() -> None:
    group = [make_result(seed=s, group="sweep", eval_every=2) for s in (1, 2, 3)]
    alone = make_result(seed=9, algorithm="diana")
    fig = plot_runs([group[0], alone, group[1], group[2]], x="bits", y="loss")
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    keep = ~np.isnan(group[0]["metrics"]["loss"])
    ys = np.array([r["metrics"]["loss"][keep] for r in group])
    xs = np.array([r["metrics"]["bits_up_cum"][keep] for r in group])
    mean, std = ys.sum(axis=0) / 3, np.sqrt(((ys - ys.sum(axis=0) / 3) ** 2).sum(axis=0) / 3)
    assert std.min() > 0
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), xs.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(line.get_ydata(), mean, rtol=1e-12)
    assert "3 runs" in line.get_label()
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    verts = bands[0].get_paths()[0].vertices
    for xi, lo, hi in zip(xs.mean(axis=0), mean - std, mean + std):
        at_x = verts[np.isclose(verts[:, 0], xi), 1]
        np.testing.assert_allclose([at_x.min(), at_x.max()], [lo, hi], rtol=1e-12)
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), alone["metrics"]["loss"])


def test_group_by_disabled_draws_every_run() -> None:
    group = [make_result(seed=s, group="sweep") for s in (1, 2, 3)]
    ax = plot_runs(group, group_by="").axes[0]
    assert len(ax.lines) == 3 and not ax.collections


def test_draws_into_given_axes_with_log_scale() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_runs([make_result()], x="time", y="top1_acc", ax=ax, log_y=True) is fig
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "top-1 accuracy"


@pytest.mark.parametrize("kwargs, expected", [
    ({"x": "epochs"}, "'epochs' is not a recorded metric; valid choices: rounds, bits, time, "
                      "oracle, simtime, round, wall_time"),
    ({"y": "accuracy"}, "'accuracy' is not a recorded metric; valid choices: round, wall_time"),
    ({"legend_format": "{algorithm} {lr}"}, "unknown key 'lr'; valid keys: algorithm,"),
    ({"group_by": "seed_group"}, "unknown config key 'seed_group'"),
])
def test_bad_choices_raise_listing_valid_ones(kwargs: dict, expected: str) -> None:
    with pytest.raises(ValueError) as info:
        plot_runs([make_result()], **kwargs)
    assert expected in str(info.value)


def test_metric_missing_in_one_run() -> None:
    other = make_result(seed=1)
    del other["metrics"]["top1_acc"]
    with pytest.raises(ValueError, match="'top1_acc' is not recorded in every run"):
        plot_runs([make_result(), other], y="top1_acc")


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"),
                                           (".SVG", b"<?xml")])
def test_save_figure_formats(tmp_path: Path, suffix: str, magic: bytes) -> None:
    fig = plot_runs([make_result()])
    path = save_figure(fig, tmp_path / f"plot{suffix}")
    data = path.read_bytes()
    assert data.startswith(magic)
    if suffix == ".SVG":
        assert b"<svg" in data
    assert os.listdir(tmp_path) == [f"plot{suffix}"]


def test_save_figure_bad_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'\.jpg'.*valid extensions: \.png, \.pdf, \.svg"):
        save_figure(plot_runs([make_result()]), tmp_path / "plot.jpg")
    assert not os.listdir(tmp_path)


def test_plots_from_threads_are_independent() -> None:
    results = {s: make_result(seed=s) for s in range(6)}
    out: dict[int, np.ndarray] = {}

    def work(seed: int) -> None:
        fig = plot_runs([results[seed]], x="time")
        save_figure_bytes = io.BytesIO()
        fig.savefig(save_figure_bytes, format="png")
        out[seed] = fig.axes[0].lines[0].get_ydata()

    threads = [threading.Thread(target=work, args=(s,)) for s in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s, r in results.items():
        np.testing.assert_array_equal(out[s], r["metrics"]["loss"])


def test_plotting_does_not_import_pyplot(tmp_path: Path) -> None:
    code = ("import sys\n"
            "from fl_pytorch.results import plot_runs, save_figure\n"
            "from tests.unit.test_results_export_plot import make_result\n"
            f"save_figure(plot_runs([make_result()]), {str(tmp_path / 'p.png')!r})\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p.png").exists()
