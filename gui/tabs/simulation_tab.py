"""Simulation tab: the table of runs (progress with ETA, state), stop/remove, and run details.

The details pane has a summary line (state, progress, result file) that changes together with
the run's row, and a body (error, command line, latest metrics, configuration) refreshed when
the state changes and once a second, keeping its scroll position.
"""

from __future__ import annotations

import html

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch import Config
from fl_pytorch.results import label

from ..runner import Runner
from ..state import RunRecord
from ..widgets.run_table import run_table
from ..widgets.runs_model import PROGRESS_COLUMN, STATE_COLORS, ProgressDelegate, RunsModel


class SimulationTab(QWidget):
    """Runs of this session; the details pane shows the selected run.

    Signals:
        command_line_requested(RunRecord): "Show command line" for the selected run.
        edit_requested(Config): "Copy to form" for the selected run's configuration.
    """

    command_line_requested = pyqtSignal(object)
    edit_requested = pyqtSignal(object)

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = runner
        self.model = RunsModel(runner.session, self)
        self.table = run_table(self.model)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.Fixed)
        header.resizeSection(PROGRESS_COLUMN, 280)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_details())

        self.stop_button = QPushButton("Stop selected")
        self.stop_all_button = QPushButton("Stop all")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected ended runs from the table "
                                      "(their result files stay on disk)")
        self.command_button = QPushButton("Show command line")
        self.edit_button = QPushButton("Copy to form")
        self.edit_button.setToolTip("Load the selected run's options into the Configuration tab")
        self.stop_button.clicked.connect(self.stop_selected)
        self.stop_all_button.clicked.connect(runner.stop_all)
        self.remove_button.clicked.connect(self.remove_selected)
        self.command_button.clicked.connect(self._command_line)
        self.edit_button.clicked.connect(self._edit)
        bar = QHBoxLayout()
        for button in (self.stop_button, self.stop_all_button, self.remove_button):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.command_button)
        bar.addWidget(self.edit_button)

        self.summary = QLabel()
        self.summary.setObjectName("runSummary")
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        pane = QWidget()
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.addWidget(self.summary)
        pane_layout.addWidget(self.details, 1)
        self._shown: tuple[int, str] | None = None  # (run number, state) the body shows
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(pane)
        splitter.setSizes([300, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        runner.run_added.connect(self._added)
        runner.run_updated.connect(self._changed)
        runner.run_ended.connect(self._changed)
        self._eta_timer = QTimer(self)  # ETAs move even between rounds
        self._eta_timer.timeout.connect(self._tick)
        self._eta_timer.start(1000)
        self._update_buttons()

    # ------------------------------------------------------------------ selection
    def selected_runs(self) -> list[RunRecord]:
        """The selected runs, in table order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.run_at(r) for r in rows]

    def select(self, record: RunRecord) -> None:
        """Select ``record``'s row."""
        self.table.selectRow(self.runner.session.runs.index(record))

    def stop_selected(self) -> None:
        """Ask the selected runs to stop (they keep the rounds done so far)."""
        for record in self.selected_runs():
            self.runner.stop(record)

    def remove_selected(self) -> None:
        """Remove the selected runs that have ended."""
        for record in self.selected_runs():
            if not record.active:
                self.model.remove(record)
        self._show_details()

    def _command_line(self) -> None:
        runs = self.selected_runs()
        if runs:
            self.command_line_requested.emit(runs[0])

    def _edit(self) -> None:
        runs = self.selected_runs()
        if runs:
            self.edit_requested.emit(runs[0].config)

    # ------------------------------------------------------------------ updates
    def _added(self, record: RunRecord) -> None:
        self.model.run_added()
        self.select(record)

    def _changed(self, record: RunRecord) -> None:
        if record in self.runner.session.runs:
            self.model.run_changed(record)
        runs = self.selected_runs()
        if runs and runs[0] is record:
            self._show_details(refresh_body=self._shown != (record.number, record.status))
        else:
            self._update_buttons()

    def _tick(self) -> None:
        for record in self.runner.session.active():
            self.model.run_changed(record)
        if any(r.active for r in self.selected_runs()):
            self._show_details(refresh_body=True)  # ETA, latest metrics
        else:
            self._update_buttons()

    def _update_buttons(self) -> None:
        runs = self.selected_runs()
        self.stop_button.setEnabled(any(r.active for r in runs))
        self.stop_all_button.setEnabled(bool(self.runner.session.active()))
        self.remove_button.setEnabled(any(not r.active for r in runs))
        self.command_button.setEnabled(bool(runs))
        self.edit_button.setEnabled(bool(runs))

    def _show_details(self, refresh_body: bool = True) -> None:
        """Show the selected run: the summary always, the body when asked (keeps its scroll)."""
        self._update_buttons()
        runs = self.selected_runs()
        if not runs:
            self._shown = None
            self.summary.setText("<span style='color:#6b7280'>Select a run to see its "
                                 "configuration and latest metrics.</span>")
            self.details.clear()
            return
        record = runs[0]
        self.summary.setText(summary_html(record))
        if refresh_body or self._shown is None or self._shown[0] != record.number:
            scroll = self.details.verticalScrollBar()
            position = scroll.value() if self._shown and self._shown[0] == record.number else 0
            self.details.setHtml(details_html(record))
            scroll.setValue(position)
            self._shown = (record.number, record.status)


def _table(rows: list[tuple[str, str, bool]]) -> str:
    cells = "".join(f"<tr><td style='padding-right:16px'>{'<b>' * bold}{html.escape(k)}"
                    f"{'</b>' * bold}</td><td>{'<b>' * bold}{html.escape(v)}{'</b>' * bold}"
                    "</td></tr>" for k, v, bold in rows)
    return f"<table cellspacing='0'>{cells}</table>"


def summary_html(record: RunRecord) -> str:
    """The summary line of a run: name, state, progress (as in its row) and result file."""
    color = STATE_COLORS[record.status]
    return (f"<b style='font-size:large'>{html.escape(record.name)}</b> &nbsp;<b style='color:"
            f"{color}'>{record.status}</b> &nbsp;·&nbsp; {html.escape(record.progress_text())}"
            f" &nbsp;·&nbsp; result file <code>{html.escape(record.result_file_text())}</code>")


def details_html(record: RunRecord) -> str:
    """The body of the details pane: error, command line, latest metrics, configuration."""
    parts = []
    if record.error:
        parts.append(f"<p style='color:{STATE_COLORS['failed']}'><b>Error:</b> "
                     f"{html.escape(record.error)}</p>")
    parts.append(f"<p><b>Command line</b></p><pre>{html.escape(record.command_line(True))}</pre>")
    metrics = record.latest
    if metrics:
        parts.append("<p><b>Latest metrics</b></p>" + _table(
            [(f"{label(k)} ({k})" if label(k) != k else k, f"{v:.6g}", False)
             for k, v in metrics.items()]))
    default = Config()
    parts.append("<p><b>Configuration</b> (changed options in bold)</p>" + _table(
        [(name, str(value), value != getattr(default, name))
         for name, value in record.config.to_dict().items()]))
    return "".join(parts)
