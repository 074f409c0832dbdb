"""Log window (F2): the engine's log with a level filter, and facts about this machine.

A logging handler on the ``fl_pytorch`` logger buffers formatted records under a lock and emits a
signal (at most one pending), so records from engine threads reach the widget in the GUI thread.
"""

from __future__ import annotations

import html
import logging
import threading

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtGui import QFontDatabase
from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch.tracking.monitor import ResourceMonitor

from ..sysinfo import machine_info, versions

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_RECORDS = 20000


class SignalLogHandler(logging.Handler):
    """A logging handler whose records are collected by the GUI thread."""

    class _Emitter(QObject):
        records_ready = pyqtSignal()

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                                            "%H:%M:%S"))
        self.emitter = self._Emitter()
        self._buffer: list[tuple[int, str]] = []
        self._buffer_lock = threading.Lock()
        self._notified = False

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        with self._buffer_lock:
            self._buffer.append((record.levelno, text))
            notify, self._notified = not self._notified, True
        if notify:
            self.emitter.records_ready.emit()

    def take(self) -> list[tuple[int, str]]:
        """The records formatted since the last call."""
        with self._buffer_lock:
            records, self._buffer, self._notified = self._buffer, [], False
        return records


class LogWindow(QDialog):
    """Non-modal window: Log (level filter, Clear) and System tabs."""

    def __init__(self, handler: SignalLogHandler, monitor: ResourceMonitor,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Log")
        self.handler = handler
        self.records: list[tuple[int, str]] = []
        self.level_combo = QComboBox()
        self.level_combo.addItems(LEVELS)
        self.level_combo.setCurrentText("INFO")
        self.level_combo.setToolTip("Show records of this level and above (DEBUG also logs "
                                    "every round's metrics)")
        self.level_combo.currentTextChanged.connect(self.set_level)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(MAX_RECORDS)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Level"))
        bar.addWidget(self.level_combo)
        bar.addStretch(1)
        bar.addWidget(clear)
        log_page = QWidget()
        log_layout = QVBoxLayout(log_page)
        log_layout.addLayout(bar)
        log_layout.addWidget(self.view, 1)
        self.system = QTextBrowser()
        self.system.setHtml(system_html(monitor))
        tabs = QTabWidget()
        tabs.addTab(log_page, "Log")
        tabs.addTab(self.system, "System")
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        self.resize(860, 480)
        handler.emitter.records_ready.connect(self._collect)
        self.set_level("INFO")

    def level(self) -> int:
        """The lowest level shown."""
        return logging.getLevelName(self.level_combo.currentText())

    def set_level(self, name: str) -> None:
        """Show records of level ``name`` and above; the logger records from that level on."""
        self.level_combo.setCurrentText(name)
        logging.getLogger("fl_pytorch").setLevel(name)
        self.view.setPlainText("\n".join(t for lvl, t in self.records if lvl >= self.level()))
        self.view.moveCursor(self.view.textCursor().End)

    def clear(self) -> None:
        """Forget the records shown so far."""
        self.records.clear()
        self.view.clear()

    def _collect(self) -> None:
        new = self.handler.take()
        self.records.extend(new)
        del self.records[:-MAX_RECORDS]
        for level, text in new:
            if level >= self.level():
                self.view.appendPlainText(text)


def system_html(monitor: ResourceMonitor) -> str:
    """Machine and version facts as an HTML table."""
    rows = {**machine_info(monitor.snapshot()), **versions()}
    cells = "".join(f"<tr><td style='padding-right:16px'><b>{html.escape(k)}</b></td>"
                    f"<td>{html.escape(v)}</td></tr>" for k, v in rows.items())
    return f"<table cellspacing='2'>{cells}</table>"
