"""Configuration tab: every option of ``Config``, grouped as the paper groups them.

The form is generated from ``fl_pytorch.config.OPTIONS`` (one editor per option, combos for
registry choices), so a new option appears here without GUI changes. Fields are checked as you
type with the command line's own messages; options that do not apply are hidden.
"""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch import Config, ConfigError
from fl_pytorch.config import GROUPS

from ..form import applies, build_config, config_values, field_help, field_label, options_by_group
from ..widgets.option_editors import OptionEditor, make_editor


class ConfigTab(QWidget):
    """The option form with Launch / Show command line / Load / Save / Defaults buttons.

    Signals:
        launch_requested: the user asked to launch the form's configuration.
        command_line_requested: the user asked for the form's command line.
    """

    launch_requested = pyqtSignal()
    command_line_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.editors: dict[str, OptionEditor] = {}
        self.labels: dict[str, QLabel] = {}
        self.error_labels: dict[str, QLabel] = {}
        self.errors: dict[str, str] = {}
        self._loading = False

        self.launch_button = QPushButton("Launch  (F5)")
        self.launch_button.setObjectName("primary")
        self.launch_button.clicked.connect(self.launch_requested)
        self.command_button = QPushButton("Show command line")
        self.command_button.clicked.connect(self.command_line_requested)
        load = QPushButton("Load config…")
        load.clicked.connect(self._load_dialog)
        save = QPushButton("Save config…")
        save.clicked.connect(self._save_dialog)
        defaults = QPushButton("Defaults")
        defaults.setToolTip("Reset every option to its default")
        defaults.clicked.connect(lambda: self.set_config(Config()))
        bar = QHBoxLayout()
        for button in (self.launch_button, self.command_button):
            bar.addWidget(button)
        bar.addStretch(1)
        for button in (load, save, defaults):
            bar.addWidget(button)

        self.banner = QLabel()
        self.banner.setObjectName("errorBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.banner.hide()

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(self._build_form())
        self.scroll = scroll

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        self.set_config(Config())

    # ------------------------------------------------------------------ building
    def _build_form(self) -> QWidget:
        """Group boxes in two columns of about the same number of options."""
        grouped = options_by_group()
        half = sum(len(v) for v in grouped.values()) / 2
        columns: list[list[str]] = [[]]  # group keys per column
        filled = 0
        for key, names in grouped.items():
            if filled and filled + len(names) > half and len(columns) == 1:
                columns.append([])
            columns[-1].append(key)
            filled += len(names)
        form = QWidget()
        row = QHBoxLayout(form)
        for keys in columns:
            column = QVBoxLayout()
            for key in keys:
                column.addWidget(self._group_box(GROUPS[key], grouped[key]))
            column.addStretch(1)
            row.addLayout(column, 1)
            labels = [self.labels[name] for key in keys for name in grouped[key]]
            width = max(label.sizeHint().width() for label in labels)
            for label in labels:  # one label width per column: the fields line up
                label.setMinimumWidth(width)
        return form

    def _group_box(self, title: str, names: list[str]) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setVerticalSpacing(4)
        for i, name in enumerate(names):
            label = QLabel(field_label(name))
            label.setToolTip(field_help(name))
            editor = make_editor(name)
            label.setBuddy(editor.field)
            editor.changed.connect(self.revalidate)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setWordWrap(True)
            error.setTextInteractionFlags(Qt.TextSelectableByMouse)
            error.hide()
            grid.addWidget(label, 2 * i, 0)
            grid.addWidget(editor, 2 * i, 1)
            grid.addWidget(error, 2 * i + 1, 1)
            self.editors[name], self.labels[name], self.error_labels[name] = editor, label, error
        return box

    # ------------------------------------------------------------------ values
    def raw_values(self) -> dict[str, object]:
        """The form's field values (text, or bool for check boxes)."""
        return {name: editor.value() for name, editor in self.editors.items()}

    def set_config(self, config: Config) -> None:
        """Show ``config`` in the form."""
        self._loading = True
        for name, value in config_values(config).items():
            self.editors[name].set_value(value)
        self._loading = False
        self.revalidate()

    def revalidate(self) -> None:
        """Check the form; mark invalid fields with their message; show what applies."""
        if self._loading:
            return
        raw = self.raw_values()
        _, self.errors = build_config(raw)
        for name, editor in self.editors.items():
            message = self.errors.get(name)
            editor.set_error(message)
            self.error_labels[name].setText(message or "")
            self.error_labels[name].setVisible(bool(message))
            shown = bool(message) or applies(name, raw)
            editor.setVisible(shown)
            self.labels[name].setVisible(shown)
        if not self.errors:
            self.banner.hide()
        elif self.banner.isVisible():
            self._show_banner()

    def _show_banner(self) -> None:
        count = len(self.errors)
        self.banner.setText(f"Cannot launch: {count} invalid option{'s' * (count > 1)} "
                            f"(marked in red). {next(iter(self.errors.values()))}")
        self.banner.show()

    def current_config(self) -> Config | None:
        """The form's Config, or None after flagging the invalid fields (banner + focus)."""
        config, _ = build_config(self.raw_values())
        self.revalidate()
        if config is None:
            self._show_banner()
            first = self.editors[next(iter(self.errors))]
            self.scroll.ensureWidgetVisible(first)
            first.field.setFocus()
        return config

    # ------------------------------------------------------------------ files
    def load_json(self, path: str) -> None:
        """Fill the form from a JSON config file (errors go to the banner)."""
        try:
            self.set_config(Config.load_json(path))
        except ConfigError as e:
            self.banner.setText(str(e))
            self.banner.show()

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load configuration", "",
                                              "JSON config (*.json);;All files (*)")
        if path:
            self.load_json(path)

    def _save_dialog(self) -> None:
        config = self.current_config()
        if config is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save configuration", "config.json",
                                              "JSON config (*.json)")
        if path:
            config.save_json(path)
