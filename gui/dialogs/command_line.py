""""Show command line": the exact ``./run.sh ...`` line of a configuration, with a Copy button.

A configuration with remote workers also gets, as shell comments, the command that starts each
worker on its machine; a sweep of the form gets its ``--sweep KEY=V1,V2`` flags.
"""

from __future__ import annotations

from typing import Any

from PyQt5.QtGui import QFontDatabase, QGuiApplication
from PyQt5.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch import Config
from fl_pytorch.cli_line import command_line, worker_commands

from ..sweeps import sweep_command_line


class CommandLineDialog(QDialog):
    """The single-line or multi-line command line of ``config``.

    Copy puts the shown text on the clipboard.
    """

    def __init__(self, config: Config, title: str, parent: QWidget | None = None,
                 grid: dict[str, list[Any]] | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Command line — {title}")
        workers = "".join(f"\n{line}" for line in worker_commands(config))  # remote workers
        if grid:  # a sweep of the form
            self.lines = {m: sweep_command_line(config, grid, m) + workers for m in (False, True)}
        else:
            self.lines = {False: command_line(config) + workers,
                          True: command_line(config, multiline=True) + workers}
        self.single = QRadioButton("Single line")
        self.multi = QRadioButton("Multi-line")
        self.single.setChecked(True)
        group = QButtonGroup(self)
        for button in (self.single, self.multi):
            group.addButton(button)
        self.multi.toggled.connect(self._show)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        self.status = QLabel("Run it from the project folder to reproduce this run.")
        self.status.setObjectName("hint")
        top = QHBoxLayout()
        top.addWidget(self.single)
        top.addWidget(self.multi)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(900, 380)
        self._show()

    def _show(self) -> None:
        self.text.setPlainText(self.lines[self.multi.isChecked()])
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap if self.multi.isChecked()
                                  else QPlainTextEdit.WidgetWidth)

    def copy(self) -> None:
        """Put the shown command line on the clipboard."""
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.status.setText("Copied to the clipboard.")
