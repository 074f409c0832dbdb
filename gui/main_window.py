"""The main window: Configuration, Simulation and Analysis tabs, menus, hotkeys, status bar."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TypeVar

from PyQt5.QtCore import QSettings, Qt, QTimer
from PyQt5.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QWindow
from PyQt5.QtWidgets import (
    QAction,
    QActionGroup,
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QStyleFactory,
    QTabWidget,
    QWidget,
)

from fl_pytorch import Config
from fl_pytorch.results import save_result
from fl_pytorch.tracking.monitor import ResourceMonitor

from .dialogs.about import AboutDialog
from .dialogs.command_line import CommandLineDialog
from .dialogs.log_window import LogWindow, SignalLogHandler
from .dialogs.remote_machines import RemoteMachinesDialog
from .runner import Runner
from .state import LoadedRun, RunRecord, Session
from .tabs.analysis_tab import AnalysisTab
from .tabs.config_tab import ConfigTab
from .tabs.simulation_tab import SimulationTab
from .widgets.system_monitor import SystemMonitor

LOG = logging.getLogger("fl_pytorch.gui")
DialogT = TypeVar("DialogT", bound=QWidget)
FONT_SIZES = (8, 9, 10, 11, 12, 14, 16)
DEFAULT_STYLE = "Fusion"
STYLE_SHEET = """
QLineEdit[invalid="true"], QComboBox[invalid="true"] {
    border: 1px solid #c62828; border-radius: 2px; background: #fff4f4; }
QCheckBox[invalid="true"] { color: #c62828; }
QLabel#fieldError { color: #b91c1c; }
QLabel#plotNote { color: #92400e; }
QLabel#statusLine { border-radius: 4px; padding: 4px 8px; border: 1px solid #e5e7eb;
    color: #4b5563; }
QLabel#statusLine[kind="error"] { background: #fdecea; color: #7f1d1d; border-color: #f5c2c0; }
QLabel#statusLine[kind="note"] { background: #eff6ff; color: #1e3a8a; border-color: #bfdbfe; }
QProgressBar { border: 1px solid #c7cdd6; border-radius: 3px; background: #f3f4f6;
    color: #111827; text-align: center; }
QProgressBar::chunk { background: #bfdbfe; }
QLabel#hint { color: #6b7280; }
QPushButton#primary { font-weight: bold; padding: 4px 14px; }
QGroupBox { font-weight: bold; }
QGroupBox QLabel, QGroupBox QCheckBox { font-weight: normal; }
"""


def _closed(window: QWindow) -> bool:
    """True when ``window`` was hidden or deleted (a dialog that closed)."""
    try:
        return not window.isVisible()
    except RuntimeError:  # its C++ object is gone (WA_DeleteOnClose)
        return True


class MainWindow(QMainWindow):
    """FL_PyTorch's desktop front end.

    Args:
        settings: where the style, font size, window geometry and remote machines are kept
            (default: the user's FL_PyTorch settings).
    """

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings("FL_PyTorch", "fl_pytorch_gui")
        self.setWindowTitle("FL_PyTorch — federated learning optimization simulator")
        self.setStyleSheet(STYLE_SHEET)
        self.session = Session()
        self.runner = Runner(self.session, self)
        self.resources = ResourceMonitor()
        self.log_handler = SignalLogHandler()
        self._log_level = logging.getLogger("fl_pytorch").level  # restored on close
        logging.getLogger("fl_pytorch").addHandler(self.log_handler)
        self.log_window = LogWindow(self.log_handler, self.resources, self)

        self.config_tab = ConfigTab()
        self.simulation_tab = SimulationTab(self.runner)
        self.analysis_tab = AnalysisTab(self.runner)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.config_tab, "Configuration")
        self.tabs.addTab(self.simulation_tab, "Simulation")
        self.tabs.addTab(self.analysis_tab, "Analysis")
        self.setCentralWidget(self.tabs)
        self.config_tab.launch_requested.connect(self.launch)
        self.config_tab.command_line_requested.connect(self.show_form_command_line)
        self.simulation_tab.command_line_requested.connect(
            lambda r: self.show_command_line(r.config, r.name))
        self.simulation_tab.edit_requested.connect(self._edit_config)
        self.runner.run_ended.connect(self._run_ended)

        self._build_menus()
        self.running_label = QLabel()
        self.statusBar().addPermanentWidget(self.running_label)
        self.monitor = SystemMonitor(self.resources)
        self.statusBar().addPermanentWidget(self.monitor)
        self.runner.run_added.connect(self._update_running)
        self.runner.run_ended.connect(self._update_running)
        self._update_running()
        self.apply_appearance(self.settings.value("style", DEFAULT_STYLE, type=str),
                              self.settings.value("font_size", 0, type=int))
        if not self.restoreGeometry(self.settings.value("geometry", b"")):
            self.resize(1360, 900)
        self.fit_to_screen()
        self._focus_window: QWindow | None = None
        QGuiApplication.instance().focusWindowChanged.connect(self._focus_window_changed)

    # ------------------------------------------------------------------ screen and focus
    def fit_to_screen(self, fill: bool = False) -> None:
        """Keep the window inside the screen's free area; ``fill`` makes it take all of it."""
        screen = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        if fill:
            self.setGeometry(screen)
            return
        geometry = self.geometry()
        geometry.setWidth(min(geometry.width(), screen.width()))
        geometry.setHeight(min(geometry.height(), screen.height()))
        if not screen.contains(geometry):
            geometry.moveTopLeft(screen.topLeft())
        self.setGeometry(geometry)

    def _focus_window_changed(self, window: QWindow | None) -> None:
        """Take the keyboard back when a closed dialog leaves no window active.

        Without a window manager (e.g. over VNC) nothing gives the focus back, and the hotkeys
        would stop working until the user clicks the window.
        """
        previous, self._focus_window = self._focus_window, window
        if window is None and previous is not None and previous is not self.windowHandle() \
                and _closed(previous):  # not a switch to another application
            QTimer.singleShot(0, self._take_focus_back)

    def _take_focus_back(self) -> None:
        if self.isVisible() and QGuiApplication.focusWindow() is None and \
                not any(w.isVisible() and w.isModal() for w in QGuiApplication.topLevelWindows()):
            self.activateWindow()
            self.raise_()

    # ------------------------------------------------------------------ menus
    def _action(self, menu: QMenu, text: str, slot, shortcut: str | None = None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        self.addAction(action)  # hotkeys work whatever has the focus
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open results…", self.analysis_tab.open_dialog, "Ctrl+O")
        self._action(file_menu, "Open &folder (a sweep)…", self.analysis_tab.open_folder_dialog,
                     "Ctrl+Shift+O")
        self._action(file_menu, "&Save all…", lambda: self._save_dialog(False), "Ctrl+S")
        self._action(file_menu, "Save se&lected…", lambda: self._save_dialog(True),
                     "Ctrl+Shift+S")
        file_menu.addSeparator()
        self._action(file_menu, "E&xit", self.close, "Ctrl+Q")

        run_menu = bar.addMenu("&Run")
        self.launch_action = self._action(run_menu, "&Launch", self.launch, "F5")
        self._action(run_menu, "Show &command line", self.show_form_command_line, "Ctrl+L")
        self._action(run_menu, "Stop &all", self.runner.stop_all)
        run_menu.addSeparator()
        self._action(run_menu, "&Previous tab", lambda: self.move_tab(-1), "F6")
        self._action(run_menu, "&Next tab", lambda: self.move_tab(1), "F7")

        tools = bar.addMenu("&Tools")
        self._action(tools, "&Log window", self.show_log, "F2")
        self._action(tools, "&Remote machines…", self.show_remote_machines, "F3")

        settings = bar.addMenu("&Settings")
        self.style_menu = settings.addMenu("&Style")
        group = QActionGroup(self)
        for name in QStyleFactory.keys():
            action = self.style_menu.addAction(name)
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _, n=name: self.apply_appearance(style=n))
        self.font_menu = settings.addMenu("&Font size")
        group = QActionGroup(self)
        for size in FONT_SIZES:
            action = self.font_menu.addAction(f"{size} pt")
            action.setCheckable(True)
            group.addAction(action)
            action.triggered.connect(lambda _, s=size: self.apply_appearance(font_size=s))

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About", self.show_about, "F1")

    def apply_appearance(self, style: str | None = None, font_size: int | None = None) -> None:
        """Set the Qt style and the font size (points; 0 keeps the system's) and remember them."""
        app = QApplication.instance()
        if style and style in QStyleFactory.keys():
            if app.style().objectName().lower() != style.lower():
                app.setStyle(QStyleFactory.create(style))
            self.settings.setValue("style", style)
            for action in self.style_menu.actions():
                action.setChecked(action.text() == style)
        if font_size:
            font = app.font()
            font.setPointSize(font_size)
            app.setFont(font)
            self.settings.setValue("font_size", font_size)
        size = app.font().pointSize()
        for action in self.font_menu.actions():
            action.setChecked(action.text() == f"{size} pt")

    def move_tab(self, step: int) -> None:
        """Show the previous (-1) or next (+1) tab, wrapping around."""
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    # ------------------------------------------------------------------ runs
    def launch(self) -> RunRecord | None:
        """Launch the form's configuration in the background.

        Returns the run, or None when the form is invalid or holds a sweep (lists of values in
        fields), whose runs start in the background (``runner.sweeps``).
        """
        config = self.config_tab.current_config()
        if config is None:
            self.tabs.setCurrentWidget(self.config_tab)
            self.statusBar().showMessage("Not launched: fix the options marked in red", 8000)
            return None
        try:
            if self.config_tab.grid:
                sweep = self.runner.launch_sweep(config, self.config_tab.grid)
                self.tabs.setCurrentWidget(self.simulation_tab)
                self.statusBar().showMessage(f"Launched sweep {sweep.progress()}", 8000)
                return None
            record = self.runner.launch(config)
        except ValueError as e:  # ConfigError included
            self.tabs.setCurrentWidget(self.config_tab)
            self.config_tab.show_message(str(e))
            return None
        self.tabs.setCurrentWidget(self.simulation_tab)
        self.statusBar().showMessage(f"Launched {record.name}", 5000)
        return record

    def _run_ended(self, record: RunRecord) -> None:
        sweep = next((s for s in self.runner.sweeps if s.name == record.sweep), None)
        text = f"{record.name}: {record.status}"
        self.statusBar().showMessage(f"{text} — sweep {sweep.progress()}" if sweep else text,
                                     8000)

    def _update_running(self) -> None:
        active = len(self.session.active())
        self.running_label.setText(f"{active} running" if active else "idle")

    def _edit_config(self, config: Config) -> None:
        self.config_tab.set_config(config)
        self.tabs.setCurrentWidget(self.config_tab)

    # ------------------------------------------------------------------ dialogs
    def _open(self, dialog: DialogT, keep: bool = False) -> DialogT:
        """Show a non-modal dialog; unless ``keep``, it is deleted when closed."""
        if not keep:
            dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        dialog.raise_()
        return dialog

    def show_command_line(self, config: Config, title: str,
                          grid: dict | None = None) -> CommandLineDialog:
        """Show the ``./run.sh`` line of ``config`` (single- and multi-line, Copy button).

        With a ``grid``, the line of the sweep (``--sweep KEY=V1,V2`` flags).
        """
        return self._open(CommandLineDialog(config, title, self, grid))

    def show_form_command_line(self) -> CommandLineDialog | None:
        """Show the command line of the form (None, with the fields flagged, if invalid)."""
        config = self.config_tab.current_config()
        if config is None:
            self.tabs.setCurrentWidget(self.config_tab)
            return None
        if self.config_tab.grid:
            return self.show_command_line(config, "current form (a sweep)",
                                          self.config_tab.grid)
        return self.show_command_line(config, "current form")

    def show_log(self) -> LogWindow:
        """Show the log window."""
        return self._open(self.log_window, keep=True)

    def show_remote_machines(self) -> RemoteMachinesDialog:
        """Show the remote machines dialog; its OK sets the form's remote-worker options."""
        return self._open(RemoteMachinesDialog(self.settings, self, apply=self._use_workers))

    def _use_workers(self, external_devices: str, secret_file: str) -> None:
        editors = self.config_tab.editors
        editors["external_devices"].set_value(external_devices)
        editors["remote_secret_file"].set_value(secret_file)
        self.statusBar().showMessage(
            f"Launched runs use the workers {external_devices}" if external_devices
            else "Launched runs run their clients on this machine", 8000)

    def show_about(self) -> AboutDialog:
        """Show the About box."""
        return self._open(AboutDialog(self))

    # ------------------------------------------------------------------ saving
    def save_runs(self, folder: str | Path, entries: list[LoadedRun]) -> list[Path]:
        """Write the result files of ``entries`` that have ended into ``folder``."""
        folder = Path(folder)
        written: list[Path] = []
        for entry in entries:
            if entry.record is not None and entry.record.result is None:
                continue  # still running (or crashed before any result)
            path, n = folder / f"{entry.name}.bin", 2
            while path in written:  # two runs of the same name: name-2.bin, name-3.bin...
                path, n = folder / f"{entry.name}-{n}.bin", n + 1
            save_result(entry.result, path)
            written.append(path)
        LOG.info("saved %d result file(s) to %s", len(written), folder)
        self.statusBar().showMessage(f"Saved {len(written)} result file(s) to {folder}", 8000)
        return written

    def _save_dialog(self, selected_only: bool) -> None:
        entries = self.analysis_tab.selected_entries() if selected_only \
            else self.analysis_tab.model.entries
        folder = QFileDialog.getExistingDirectory(self, "Save result files to folder")
        if folder:
            self.save_runs(folder, entries)

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the runs (they keep their rounds), remember the geometry, detach the log."""
        self.runner.shutdown()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()
        logging.getLogger("fl_pytorch").removeHandler(self.log_handler)
        logging.getLogger("fl_pytorch").setLevel(self._log_level)
        self.monitor.timer.stop()
        self.resources.close()
        super().closeEvent(event)
