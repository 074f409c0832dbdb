"""Plot quantities (recorded and derived), friendly labels, automatic legends, mixed-problem
warnings, plot styles and the legend saved on its own."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from fl_pytorch.core.metrics import EVAL_METRICS, ROW_METRICS
from fl_pytorch.results import (
    LABELS,
    PlotStyle,
    label,
    line_labels,
    mixed_problems_warning,
    plot_runs,
    quantity,
    save_legend,
)
from fl_pytorch.results.legend import auto_labels
from fl_pytorch.results.quantities import DERIVED, ORDER, available

from .test_results_export_plot import make_result


def test_every_metric_and_derived_quantity_has_a_friendly_label():
    for name in [*ROW_METRICS, *EVAL_METRICS, *DERIVED, *ORDER]:
        assert name in LABELS, name
    assert label("top1_acc") == "top-1 accuracy"
    assert label("some_new_metric") == "some new metric"


def test_derived_quantities_equal_an_independent_computation():
    r = make_result(seed=3, rounds=5)
    m = r["metrics"]
    m["dist_to_solution"] = np.linspace(2.0, 0.5, 6)
    m["bits_up_per_client"] = np.array([np.nan, 10, 20, np.nan, 40, 50.0])
    m["clients_in_round"] = np.array([0, 2, 3, 2, 3, 2.0])
    m["gpu_memory_mb"] = np.full(6, 2048.0)
    r["problem"]["num_clients"] = 4
    r["config"]["gpu"] = "0,1,-1"
    wall = m["wall_time"]
    expected = {
        "wall_time_min": wall / 60,
        "round_time": np.r_[np.nan, np.diff(wall)],
        "round_time_min": np.r_[np.nan, np.diff(wall)] / 60,
        "dist_to_solution_sq": m["dist_to_solution"] ** 2,
        "bits_total_cum": m["bits_up_cum"] + m["bits_down_cum"],
        "bits_up_per_participant_cum": np.array([0, 10, 30, 30, 70, 120.0]),
        "bits_up_per_client_cum": m["bits_up_cum"] / 4,
        "clients_cum": np.array([0, 2, 5, 7, 10, 12.0]),
        "gpu_memory_gb": np.full(6, 2.0),
        "compute_devices": np.full(6, 3.0),
        "bits": m["bits_up_cum"], "rounds": np.arange(6.0),
    }
    for name, values in expected.items():
        np.testing.assert_allclose(quantity(r, name), values, rtol=1e-12, err_msg=name)
    assert quantity(r, "full_gradient_norm_sq_train") is None  # not tracked in this run
    offered = available(r)
    assert offered[:3] == ["round", "wall_time", "wall_time_min"]
    assert "full_gradient_norm_sq_train" not in offered and "clients_cum" in offered


def configs(**changes):
    base = make_result()["config"]
    return {**base, **changes}


def test_automatic_legend_names_what_differs_and_is_always_distinct():
    runs = [[configs(local_lr=lr)] for lr in (0.1, 0.05, 0.2)]
    assert auto_labels(runs) == ["fedavg local_lr=0.1", "fedavg local_lr=0.05",
                                 "fedavg local_lr=0.2"]
    same = [[configs()], [configs()]]
    assert auto_labels(same) == ["fedavg #1", "fedavg #2"]
    only_ids = [[configs(run_id="a")], [configs(run_id="b")]]  # bookkeeping, only when needed
    assert auto_labels(only_ids) == ["fedavg run_id=a", "fedavg run_id=b"]
    mixed = [[configs(run_id="a", client_compressor="randk:10%")], [configs(run_id="b")]]
    assert auto_labels(mixed) == ["fedavg randk:10%", "fedavg ident"]
    seeds = [[configs(group_name="g", manual_runtime_seed=s) for s in (1, 2)],
             [configs(algorithm="scaffold", manual_runtime_seed=7)]]
    assert line_labels(seeds) == ["fedavg (mean ± std, 2 runs)", "scaffold"]
    sweep = [[configs(local_lr=lr, local_optimiser=o, manual_runtime_seed=s)]
             for lr, o, s in ((0.1, "sgd", 1), (0.1, "adam", 2), (0.2, "sgd", 3))]
    assert auto_labels(sweep) == ["fedavg manual_runtime_seed=1", "fedavg manual_runtime_seed=2",
                                  "fedavg manual_runtime_seed=3"]  # one option is enough
    two = [[configs(local_lr=lr, local_optimiser=o)] for lr, o in
           ((0.1, "sgd"), (0.1, "adam"), (0.2, "sgd"))]
    problems = [[configs(dataset="digits", rounds=1)], [configs(rounds=2, group_name="g")],
                [configs(rounds=2, group_name="h")]]  # the dataset is named when it differs
    assert auto_labels(problems) == ["fedavg dataset=digits", "fedavg dataset=quadratic g",
                                     "fedavg dataset=quadratic h"]
    assert auto_labels(two) == ["fedavg local_lr=0.1 local_optimiser=sgd",
                                "fedavg local_lr=0.1 local_optimiser=adam",
                                "fedavg local_lr=0.2 local_optimiser=sgd"]
    assert line_labels(seeds, "{algorithm}!") == ["fedavg! (mean ± std, 2 runs)", "scaffold!"]


def test_runs_of_different_problems_are_flagged():
    quad = configs(dataset="generated_for_quadratic_minimization", global_regulizer="none",
                   global_regulizer_alpha=0.0, num_clients=0)
    assert mixed_problems_warning([quad, {**quad, "global_regulizer_alpha": 3.0,
                                          "num_clients": 7, "manual_runtime_seed": 9}]) is None
    warning = mixed_problems_warning([quad, configs(dataset="digits", model="small_cnn")])
    assert warning.startswith("runs of different problems are plotted together")
    assert "dataset: generated_for_quadratic_minimization / digits" in warning
    assert "model: linear / small_cnn" in warning


def test_style_controls_reach_the_figure():
    results = [make_result(seed=s, algorithm=a) for s, a in ((0, "fedavg"), (1, "scaffold"))]
    style = PlotStyle(line_style="cycle", marker="square", line_width=3.0, font_size=14,
                      legend_position="outside right", title="A title")
    ax = plot_runs(results, x="bits", y="loss", style=style, log_x=True).axes[0]
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--"]
    assert {line.get_marker() for line in ax.lines} == {"s"}
    assert {line.get_linewidth() for line in ax.lines} == {3.0}
    assert ax.get_title() == "A title" and ax.title.get_fontsize() == pytest.approx(16.1)
    assert ax.xaxis.label.get_fontsize() == 14 and ax.get_xscale() == "log"
    assert ax.get_xlabel() == "bits sent uplink (cumulative)"
    assert ax.get_legend().get_texts()[0].get_fontsize() == 14
    none = plot_runs(results, style=PlotStyle(legend_position="none")).axes[0]
    assert none.get_legend() is None
    with pytest.raises(ValueError, match="marker: invalid value 'hexagon'; valid choices: none"):
        plot_runs(results, style=PlotStyle(marker="hexagon"))


def test_legend_is_saved_on_its_own(tmp_path):
    results = [make_result(seed=s, algorithm=a) for s, a in ((0, "fedavg"), (1, "scaffold"))]
    ax = plot_runs(results).axes[0]
    path = save_legend(ax, tmp_path / "legend.png", font_size=12)
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert data.startswith(b"\x89PNG") and width > height > 20  # two entries, no axes
    assert save_legend(ax, tmp_path / "legend.svg").read_bytes().count(b"scaffold") >= 1
    empty = plot_runs(results, style=PlotStyle(legend_position="none")).axes[0]
    empty.lines[0].set_label("_nolegend_")
    empty.lines[1].set_label("_nolegend_")
    with pytest.raises(ValueError, match="no legend to save"):
        save_legend(empty, tmp_path / "none.png")


def test_results_plot_command_warns_on_mixed_problems_and_takes_style_flags(tmp_path, capsys):
    from fl_pytorch.results import save_result
    from fl_pytorch.results.cli import main
    other = make_result(seed=1)
    other["config"]["dataset"] = "digits"
    files = [str(save_result(r, tmp_path / f"{i}.bin")) for i, r in
             enumerate((make_result(seed=0), other))]
    out = tmp_path / "p.svg"
    assert main(["plot", *files, "-o", str(out), "--x", "bits_total_cum", "--y",
                 "wall_time_min", "--log-x", "--title", "Two problems",
                 "--legend-position", "below"]) == 0
    err = capsys.readouterr().err
    assert err == "warning: runs of different problems are plotted together (dataset: " \
                  "quadratic / digits)\n"
    svg = out.read_text()
    assert "Two problems" in svg and "bits sent uplink + downlink (cumulative)" in svg
    assert main(["plot", files[0], "-o", str(out), "--legend-position", "left"]) == 2
    err = capsys.readouterr().err
    assert "error: legend_position: invalid value 'left'; valid choices: best," in err
