"""Launching from the form: background runs, live progress, stop, failure, and the command line
that reproduces a GUI run from a shell."""

import shlex
import subprocess
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QRect, Qt, QTimer
from PyQt5.QtGui import QColor, QImage, QPainter
from PyQt5.QtWidgets import QLabel, QStyle, QStyleOptionViewItem

from fl_pytorch import load_result
from gui.dialogs.command_line import CommandLineDialog
from gui.tabs.simulation_tab import details_html, summary_html
from gui.widgets.runs_model import COLUMNS

from .conftest import fill_quadratic, wait_ended

ROOT = Path(__file__).resolve().parents[2]
STATE = COLUMNS.index("State")


def cell(window, row, column):
    model = window.simulation_tab.model
    return model.data(model.index(row, COLUMNS.index(column) if isinstance(column, str)
                                  else column))


def test_launch_with_f5_finish_plot_and_reproduce_from_the_command_line(window, qtbot,
                                                                          tmp_path):
    fill_quadratic(window, rounds="12", algorithm="scaffold")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key_F5)
    assert len(window.session.runs) == 1
    record = window.session.runs[0]
    assert window.tabs.currentWidget() is window.simulation_tab
    wait_ended(qtbot, record)

    assert record.status == "finished", record.error
    assert cell(window, 0, "State") == "finished"
    assert cell(window, 0, "Progress").startswith("100% (12/12) in 0:")
    assert cell(window, 0, "Algorithm") == "scaffold" and cell(window, 0, "Device") == "cpu"
    saved = load_result(record.out_path)
    assert saved["status"] == "finished"
    assert saved["command_line"] == record.command_line()
    assert "finished" in summary_html(record) and str(record.out_path) in summary_html(record)
    assert "dist_to_solution" in details_html(record)

    window.tabs.setCurrentWidget(window.analysis_tab)
    page = window.analysis_tab.page()
    qtbot.waitUntil(lambda: len(page.figure.axes[0].lines) == 1)
    line = page.figure.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), np.arange(13))
    np.testing.assert_allclose(line.get_ydata(), saved["metrics"]["loss"])

    # The run's command line, run from a shell elsewhere, gives the same result file contents.
    window.simulation_tab.select(record)
    window.simulation_tab.command_button.click()
    (dialog,) = window.findChildren(CommandLineDialog)
    line_text = dialog.text.toPlainText()
    assert line_text == record.command_line()
    shell_dir = tmp_path / "shell"
    shell_dir.mkdir()
    argv = shlex.split(line_text)
    assert argv[0] == "./run.sh"
    subprocess.run(shlex.join([str(ROOT / "run.sh"), *argv[1:]]), shell=True, cwd=shell_dir,
                   check=True, capture_output=True, timeout=120)
    (cli_file,) = (shell_dir / "results").glob("*.bin")
    cli = load_result(cli_file)
    assert cli["config"] == saved["config"] and cli["status"] == "finished"
    assert set(cli["metrics"]) == set(saved["metrics"])
    for name, values in saved["metrics"].items():
        if name != "wall_time":
            np.testing.assert_array_equal(cli["metrics"][name], values, err_msg=name)
    np.testing.assert_array_equal(cli["final_params"], saved["final_params"])


def test_gui_keeps_processing_events_during_a_run(window, qtbot):
    fill_quadratic(window, rounds="400")
    seen_by_timer = []  # rounds done, as the GUI thread sees them on each tick of a timer
    timer = QTimer()
    timer.timeout.connect(lambda: seen_by_timer.extend(r.rounds_done for r in
                                                       window.session.active()))
    timer.start(5)
    record = window.launch()
    wait_ended(qtbot, record)
    timer.stop()
    assert record.status == "finished", record.error
    assert len(set(seen_by_timer)) >= 10  # the event loop ran between rounds all along


def test_live_plot_then_stop_keeps_the_rounds_done_so_far(window, qtbot):
    fill_quadratic(window, rounds="1000000")
    record = window.launch()
    window.tabs.setCurrentWidget(window.analysis_tab)
    page = window.analysis_tab.page()

    def live_points():
        lines = page.figure.axes[0].lines
        return len(lines[0].get_xdata()) if lines else 0

    qtbot.waitUntil(lambda: live_points() >= 5, timeout=60_000)
    assert record.active  # the curve grows while the run is going
    qtbot.waitUntil(lambda: live_points() >= 10, timeout=60_000)
    window.simulation_tab.select(record)
    assert window.simulation_tab.stop_button.isEnabled()
    qtbot.mouseClick(window.simulation_tab.stop_button, Qt.LeftButton)
    wait_ended(qtbot, record)
    assert record.status == "stopped"
    assert cell(window, 0, "State") == "stopped"
    saved = load_result(record.out_path)
    assert saved["status"] == "stopped"
    rounds = saved["metrics"]["round"].tolist()
    assert rounds == list(range(len(rounds))) and len(rounds) > 3
    assert rounds[-1] == record.rounds_done
    assert np.isfinite(saved["metrics"]["loss"][0])


def test_several_runs_at_once_failure_message_stop_all_and_remove(window, qtbot):
    fill_quadratic(window, rounds="1000000", eval_every="1000")
    long_run = window.launch()
    fill_quadratic(window, rounds="5", dataset_generation_spec="clients:abc")
    broken = window.launch()
    wait_ended(qtbot, broken)
    assert broken.status == "failed" and "clients" in broken.error
    assert cell(window, 1, "State") == "failed"
    assert not broken.out_path.exists()  # it failed before its first round...
    assert cell(window, 1, "Result file") == "(not written)"  # ...and the row says so
    window.simulation_tab.select(broken)
    assert broken.error in window.simulation_tab.details.toPlainText()
    qtbot.waitUntil(lambda: long_run.rounds_done >= 1, timeout=60_000)
    assert long_run.active and cell(window, 0, "State") == "running"

    window.simulation_tab.table.selectAll()
    window.simulation_tab.remove_selected()  # only the ended run goes
    assert window.session.runs == [long_run]
    qtbot.mouseClick(window.simulation_tab.stop_all_button, Qt.LeftButton)
    wait_ended(qtbot, long_run)
    assert long_run.status == "stopped"


def shown_details(tab):
    """Everything the details pane shows (its labels and its text)."""
    labels = [w.text() for w in tab.findChildren(QLabel) if w.isVisible()]
    return "\n".join([*labels, tab.details.toPlainText()])


def test_details_pane_updates_with_the_row(window, qtbot):
    fill_quadratic(window, rounds="1000000", eval_every="1000")
    tab = window.simulation_tab
    stale = []

    def check(record):  # connected after the tab's own slot: sees what the user sees
        row = cell(window, 0, "Progress")
        if record.status not in shown_details(tab) or row.split(",")[0] not in \
                shown_details(tab):
            stale.append((record.status, row))

    window.runner.run_updated.connect(check)
    record = window.launch()
    qtbot.waitUntil(lambda: record.rounds_done >= 20, timeout=60_000)
    window.runner.stop(record)
    wait_ended(qtbot, record)
    assert stale == []


def contrast(a, b):
    """WCAG contrast ratio of two QColors."""
    def luminance(c):
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_progress_text_is_readable_on_both_sides_of_the_fill(window):
    from collections import Counter

    from fl_pytorch import Config
    from gui.state import Session
    from gui.widgets.runs_model import PROGRESS_COLUMN, ProgressDelegate, RunsModel
    session = Session()
    record = session.add(Config(rounds=10), Path("r.bin"))
    record.add_rows([{"round": r} for r in range(6)])  # 50%, text across the fill boundary
    model = RunsModel(session)
    index = model.index(0, PROGRESS_COLUMN)
    width, height = 260, 28
    image = QImage(width, height, QImage.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, width, height)
    option.palette = window.simulation_tab.table.palette()
    option.state = QStyle.State_Enabled
    ProgressDelegate().paint(painter, option, index)
    painter.end()
    row = height // 2
    for columns in (range(60, width // 2 - 4), range(width // 2 + 4, width - 60)):
        pixels = Counter(image.pixel(x, y) for x in columns for y in range(row - 5, row + 5))
        background = QColor(pixels.most_common(1)[0][0])
        best = max(contrast(QColor(p), background) for p in pixels)
        assert best >= 4.5, (columns, background.name())
