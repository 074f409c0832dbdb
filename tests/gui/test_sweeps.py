"""Sweeps from the Configuration tab: lists of values in fields, one group of runs, the same
folder and files as the command line's sweep."""

import shlex
import subprocess
from pathlib import Path

from fl_pytorch.config import choices_of
from fl_pytorch.results.selection import read_index
from gui.dialogs.command_line import CommandLineDialog
from gui.widgets.runs_model import COLUMNS

from .conftest import fill_quadratic, wait_ended

ROOT = Path(__file__).resolve().parents[2]


def test_a_list_in_a_field_is_flagged_value_by_value(window, qtbot):
    tab = window.config_tab
    fill_quadratic(window)
    combo = tab.editors["algorithm"].combo
    combo.lineEdit().selectAll()
    qtbot.keyClicks(combo.lineEdit(), "[fedavg, fedavgx]")
    assert "--algorithm: invalid value 'fedavgx'; did you mean 'fedavg'?" in \
        tab.errors["algorithm"]
    assert [combo.itemText(i) for i in range(combo.count())] == choices_of("algorithm")
    tab.editors["algorithm"].set_value("[fedavg, scaffold]")
    tab.editors["global_lr"].set_value("[0.5]")
    assert tab.errors["global_lr"].endswith("a sweep needs two or more values, e.g. [0.1, 0.5]")
    tab.editors["global_lr"].set_value("[0.5, 1]")
    assert not tab.errors and tab.grid == {"algorithm": ["fedavg", "scaffold"],
                                          "global_lr": [0.5, 1.0]}
    assert tab.status_line.text().startswith("Sweep: 4 runs (2 Global LR x 2 Algorithm)")


def test_sweep_launched_from_the_form_runs_as_one_group_and_resumes_from_the_shell(
        window, qtbot, tmp_path):
    fill_quadratic(window, rounds="6", global_lr="[0.5, 1]", manual_runtime_seed="[1, 2]")
    assert window.launch() is None  # a sweep: its runs start in the background
    [sweep] = window.runner.sweeps
    assert len(sweep.plan.runs) == 4 and len(window.session.runs) == sweep.jobs
    qtbot.waitUntil(lambda: len(window.session.runs) == 4 and not window.session.active(),
                    timeout=120_000)
    for record in window.session.runs:
        wait_ended(qtbot, record)
        assert record.status == "finished", record.error
    model = window.simulation_tab.model
    assert {model.data(model.index(r, COLUMNS.index("Sweep"))) for r in range(4)} == \
        {sweep.name}
    index = read_index(sweep.plan.folder)
    assert [r["status"] for r in index["runs"]] == ["finished"] * 4
    assert sweep.progress() == f"{sweep.name}: 4 of 4 runs finished, 0 running, 0 waiting"

    window.tabs.setCurrentWidget(window.analysis_tab)  # seeds of a step size: one band each
    axes = window.analysis_tab.page().figure.axes[0]
    qtbot.waitUntil(lambda: len(axes.lines) == 2 and len(axes.collections) == 2)
    assert sorted(t.get_text() for t in axes.get_legend().get_texts()) == [
        "fedavg global_lr=0.5 (mean ± std, 2 runs)", "fedavg global_lr=1 (mean ± std, 2 runs)"]

    dialog = window.show_form_command_line()  # the same sweep from a shell: nothing to redo
    assert isinstance(dialog, CommandLineDialog)
    line = dialog.text.toPlainText()
    assert "--sweep global-lr=0.5,1 --sweep manual-runtime-seed=1,2" in line
    out = subprocess.run(shlex.join([str(ROOT / "run.sh"), *shlex.split(line)[1:]]),
                         shell=True, cwd=Path.cwd(), capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert f"in {sweep.plan.folder}; 4 already finished, 0 to run" in out


def test_stop_all_stops_the_running_runs_of_a_sweep_and_starts_no_more(window, qtbot):
    fill_quadratic(window, rounds="1000000", eval_every="1000", global_lr="[0.25, 0.5, 1]")
    window.launch()
    [sweep] = window.runner.sweeps
    running = list(window.session.runs)
    assert len(running) == sweep.jobs < 3 and len(sweep.waiting) == 3 - sweep.jobs
    qtbot.waitUntil(lambda: all(r.rounds_done > 0 for r in running), timeout=60_000)
    window.runner.stop_all()
    for record in running:
        wait_ended(qtbot, record)
    assert not sweep.waiting and len(window.session.runs) == sweep.jobs
    statuses = [r["status"] for r in read_index(sweep.plan.folder)["runs"]]
    assert statuses.count("stopped") == sweep.jobs and "pending" in statuses
