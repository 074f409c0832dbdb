"""Remote machines dialog (F3): the list of ``host:port:device`` workers, kept in the GUI settings.

The configuration has no ``--external-devices`` option yet, so the list lives in the GUI settings
(key ``remote/machines``) until the remote-worker feature lands.
"""

from __future__ import annotations

from PyQt5.QtCore import QSettings
from PyQt5.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..remote import RemoteMachine, parse_remote_machine

SETTINGS_KEY = "remote/machines"


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


class RemoteMachinesDialog(QDialog):
    """Add and remove remote machines; OK stores the list in ``settings``."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Remote machines")
        self.settings = settings
        self.list = QListWidget()
        self.list.addItems([str(m) for m in load_machines(settings)])
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("host:port:device, e.g. node7:29500:cuda:0")
        self.entry.returnPressed.connect(self.add_entry)
        add = QPushButton("Add")
        add.clicked.connect(self.add_entry)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(add)
        row.addWidget(self.remove_button)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        hint = QLabel("Workers that run clients for this GUI's simulations. Each entry is "
                      "host:port:device; device is cpu, a GPU id or cuda:N.")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def machines(self) -> list[str]:
        """The entries shown."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def add_entry(self) -> bool:
        """Add the typed entry if it parses and is new; otherwise show why not."""
        try:
            machine = str(parse_remote_machine(self.entry.text()))
        except ValueError as e:
            self.error.setText(str(e))
            self.error.show()
            return False
        if machine in self.machines():
            self.error.setText(f"{machine} is already in the list")
            self.error.show()
            return False
        self.list.addItem(machine)
        self.entry.clear()
        self.error.hide()
        return True

    def remove_selected(self) -> None:
        """Remove the selected entries."""
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))

    def accept(self) -> None:
        """Store the list and close."""
        self.settings.setValue(SETTINGS_KEY, self.machines())
        self.settings.sync()
        super().accept()
