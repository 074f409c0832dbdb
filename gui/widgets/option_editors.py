"""One editor widget per configuration option, chosen from the option's metadata.

Every editor has ``value()`` (the field text, or a bool for check boxes), ``set_value(v)``, a
``changed`` signal and ``set_error(message)``, which marks the field red (the message itself is
shown by the form under the field).
"""

from __future__ import annotations

import secrets
from typing import Any

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QAction,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QPushButton,
    QToolButton,
    QWidget,
)

from fl_pytorch.config import OPTIONS, choices_of
from fl_pytorch.tracking.monitor import compute_devices

from ..form import field_help, is_bool, is_seed


class OptionEditor(QWidget):
    """Base class: the editor row of option ``name`` around its ``field`` widget.

    Subclasses provide ``value()`` (text, or bool for check boxes) and ``set_value(v)``.
    """

    changed = pyqtSignal()

    def __init__(self, name: str, field: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.field = field
        self.setToolTip(field_help(name))
        self.setFocusProxy(field)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(field)

    def set_error(self, message: str | None) -> None:
        """Mark the field invalid (red) with ``message`` as tool tip, or clear the mark."""
        self.field.setProperty("invalid", bool(message))
        self.field.setToolTip(f"{message}\n\n{field_help(self.name)}" if message
                              else field_help(self.name))
        self.field.style().unpolish(self.field)
        self.field.style().polish(self.field)


class TextEditor(OptionEditor):
    """Free text or a number, parsed as on the command line."""

    def __init__(self, name: str, parent: QWidget | None = None):
        self.edit = QLineEdit()
        super().__init__(name, self.edit, parent)
        self.edit.setPlaceholderText(OPTIONS[name].metadata["metavar"] or "")
        self.edit.textChanged.connect(self.changed)

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        self.edit.setText(str(value))
        self.edit.setCursorPosition(0)  # long values (specs, paths) show their beginning


class ChoiceEditor(OptionEditor):
    """A combo box of the option's valid choices (registry names).

    It is editable, so that a list of choices can be typed for a sweep (``[fedavg, scaffold]``);
    typed text is checked like any field, never added to the list.
    """

    def __init__(self, name: str, parent: QWidget | None = None):
        self.combo = QComboBox()
        super().__init__(name, self.combo, parent)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.NoInsert)
        self.combo.addItems(choices_of(name) or [])
        self.combo.currentTextChanged.connect(self.changed)

    def value(self) -> str:
        return self.combo.currentText()

    def refresh_choices(self) -> None:
        """Re-read the valid choices (plugins may have added some); keep the current value."""
        current = self.value()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(choices_of(self.name) or [])
        self.combo.blockSignals(False)
        self.set_value(current)

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentText(str(value))  # an unknown value is shown, then flagged


class BoolEditor(OptionEditor):
    """A check box."""

    def __init__(self, name: str, parent: QWidget | None = None):
        self.check = QCheckBox()
        super().__init__(name, self.check, parent)
        self.check.toggled.connect(self.changed)

    def value(self) -> bool:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class SeedEditor(TextEditor):
    """A seed with a "Generate" button that draws a fresh random one."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(name, parent)
        self.generate = QPushButton("Generate")
        self.generate.setToolTip("Draw a new random seed")
        self.generate.clicked.connect(lambda: self.set_value(secrets.randbelow(2**31)))
        self._layout.addWidget(self.generate)


class DeviceEditor(TextEditor):
    """``--gpu`` ids with a menu of this machine's devices (CPU and each CUDA GPU) to toggle."""

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(name, parent)
        self.menu = QMenu(self)
        self.device_actions: dict[str, QAction] = {}
        for device_id, label in compute_devices():
            action = self.menu.addAction(label)
            action.setCheckable(True)
            action.toggled.connect(self._sync_text)
            self.device_actions[device_id] = action
        self.button = QToolButton()
        self.button.setText("Devices")
        self.button.setToolTip("Choose among this machine's devices")
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.InstantPopup)
        self._layout.addWidget(self.button)
        self.edit.textChanged.connect(self._sync_menu)

    def _sync_text(self) -> None:
        ids = [i for i, a in self.device_actions.items() if a.isChecked()]
        known = set(self.device_actions)
        others = [p.strip() for p in self.value().split(",") if p.strip()
                  and p.strip() not in known and p.strip() != "cpu"]
        text = ",".join(ids + others)
        if text != self.value():
            self.set_value(text)

    def _sync_menu(self) -> None:
        parts = {"-1" if p.strip() == "cpu" else p.strip().removeprefix("cuda:")
                 for p in self.value().split(",")}
        for device_id, action in self.device_actions.items():
            action.blockSignals(True)
            action.setChecked(device_id in parts)
            action.blockSignals(False)


def make_editor(name: str, parent: QWidget | None = None) -> OptionEditor:
    """The editor that fits option ``name``: check box, combo, seed, devices or text."""
    if is_bool(name):
        return BoolEditor(name, parent)
    if choices_of(name) is not None:
        return ChoiceEditor(name, parent)
    if is_seed(name):
        return SeedEditor(name, parent)
    if name == "gpu":
        return DeviceEditor(name, parent)
    return TextEditor(name, parent)
