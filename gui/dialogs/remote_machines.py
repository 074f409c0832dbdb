"""Remote machines dialog (F3): workers for launched runs, with their live status.

Entries are ``host:port:device`` (kept in the GUI settings, key ``remote/machines``). **Check
status** probes every worker over the authenticated handshake, in background threads, and shows
whether it is online, its devices and its load (or why it is not reachable). With **Use these
workers for launched runs** checked, OK writes the list into the form's ``--external-devices``
(and the secret file into ``--remote-secret-file``), so launched runs and "Show command line"
use them; unchecked, OK clears those fields.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PyQt5.QtCore import QObject, QSettings, pyqtSignal
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch import ConfigError
from fl_pytorch.api import load_secret, probe_worker

from ..remote import RemoteMachine, external_devices, parse_remote_machine

SETTINGS_KEY = "remote/machines"
SECRET_KEY = "remote/secret_file"
USE_KEY = "remote/use"
STATE_COLORS = {"online": "#1b5e20", "busy": "#8a5a00", "refused": "#b71c1c",
                "offline": "#6b7280", "checking": "#6b7280"}


def load_machines(settings: QSettings) -> list[RemoteMachine]:
    """The stored list (entries that no longer parse are dropped)."""
    stored = settings.value(SETTINGS_KEY, [], type=list)
    machines = []
    for text in stored:
        try:
            machines.append(parse_remote_machine(text))
        except ValueError:
            continue
    return machines


class _Prober(QObject):
    """Runs probes in daemon threads; ``done(row, state, message)`` arrives in the GUI thread."""

    done = pyqtSignal(int, str, str)

    def probe(self, row: int, machine: RemoteMachine, secret: bytes) -> None:
        def work() -> None:
            status = probe_worker(machine.host, machine.port, secret)
            try:
                self.done.emit(row, status.state, status.message)
            except RuntimeError:  # the dialog was closed meanwhile
                pass
        threading.Thread(target=work, daemon=True, name=f"probe-{machine}").start()


class RemoteMachinesDialog(QDialog):
    """Add, remove and check remote workers; OK stores them and applies them to the form.

    Args:
        settings: where the list, the secret file and the "use" choice are kept.
        apply: called on OK with (``--external-devices`` value, secret file), both empty
            when the workers are not to be used.
    """

    def __init__(self, settings: QSettings, parent: QWidget | None = None,
                 apply: Callable[[str, str], None] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Remote machines")
        self.settings = settings
        self.apply = apply
        self.table = self._machines_table()
        for machine in load_machines(settings):
            self._add_row(str(machine))
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("host:port:device, e.g. node7:29500:cuda:0")
        self.entry.returnPressed.connect(self.add_entry)
        add = QPushButton("Add")
        add.clicked.connect(self.add_entry)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.check_button = QPushButton("Check status")
        self.check_button.clicked.connect(self.check_status)
        self.secret = QLineEdit(settings.value(SECRET_KEY, "", type=str))
        self.secret.setPlaceholderText("secret file (empty: $FL_PYTORCH_SECRET)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_secret)
        self.use = QCheckBox("Use these workers for launched runs (sets --external-devices)")
        self.use.setChecked(settings.value(USE_KEY, False, type=bool))
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        self._prober = _Prober(self)
        self._prober.done.connect(self._show_status)
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        for button in (add, self.remove_button, self.check_button):
            row.addWidget(button)
        secret_row = QHBoxLayout()
        secret_row.addWidget(QLabel("Shared secret:"))
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        hint = QLabel("Workers run the clients of a simulation; this GUI aggregates and "
                      "evaluates. Start each worker on its machine with ./run.sh worker --host "
                      "ADDRESS --port PORT (Show command line prints the exact commands). Each "
                      "entry is host:port:device; device is cpu, a GPU id or cuda:N.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addLayout(secret_row)
        layout.addWidget(self.use)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(760, 420)

    @staticmethod
    def _machines_table() -> QTableWidget:
        """The (machine, status) table."""
        table = QTableWidget(0, 2)
        table.setHorizontalHeaderLabels(["Machine", "Status"])
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.verticalHeader().hide()
        return table

    def _add_row(self, machine: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(machine))
        self.table.setItem(row, 1, QTableWidgetItem("not checked"))

    def machines(self) -> list[str]:
        """The entries shown."""
        return [self.table.item(i, 0).text() for i in range(self.table.rowCount())]

    def statuses(self) -> list[str]:
        """The status column, row by row."""
        return [self.table.item(i, 1).text() for i in range(self.table.rowCount())]

    def _fail(self, message: str) -> bool:
        self.error.setText(message)
        self.error.show()
        return False

    def add_entry(self) -> bool:
        """Add the typed entry if it parses and is new; otherwise show why not."""
        try:
            machine = str(parse_remote_machine(self.entry.text()))
        except ValueError as e:
            return self._fail(str(e))
        if machine in self.machines():
            return self._fail(f"{machine} is already in the list")
        self._add_row(machine)
        self.entry.clear()
        self.error.hide()
        return True

    def remove_selected(self) -> None:
        """Remove the selected entries."""
        for row in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def check_status(self) -> bool:
        """Probe every worker in the background (False, with the reason shown, if no secret)."""
        try:
            secret = load_secret(self.secret.text().strip(), "shared secret")
        except ConfigError as e:
            return self._fail(str(e))
        self.error.hide()
        for row, text in enumerate(self.machines()):
            self._show_status(row, "checking", "checking…")
            self._prober.probe(row, parse_remote_machine(text), secret)
        return True

    def _show_status(self, row: int, state: str, message: str) -> None:
        if row >= self.table.rowCount():
            return  # removed meanwhile
        item = self.table.item(row, 1)
        item.setText(message)
        item.setToolTip(message)
        item.setForeground(QColor(STATE_COLORS.get(state, "#000000")))

    def _browse_secret(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Shared secret file")
        if path:
            self.secret.setText(path)

    def accept(self) -> None:
        """Store the list, the secret file and the choice; apply them to the form; close."""
        self.settings.setValue(SETTINGS_KEY, self.machines())
        self.settings.setValue(SECRET_KEY, self.secret.text().strip())
        self.settings.setValue(USE_KEY, self.use.isChecked())
        self.settings.sync()
        if self.apply is not None:
            used = self.use.isChecked() and self.machines()
            self.apply(external_devices(self.machines()) if used else "",
                       self.secret.text().strip() if used else "")
        super().accept()
