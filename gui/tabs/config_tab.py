"""Configuration tab: every option of ``Config``, grouped as the paper groups them.

The form is generated from ``fl_pytorch.config.OPTIONS`` (one editor per option, combos for
registry choices), so a new option appears here without GUI changes. Fields are checked as you
type with the command line's own messages: an invalid field is outlined in red with its message
as tool tip, and the status line above the form (whose space is always reserved, so nothing
moves while you type) shows the message of the field being edited. Options that do not apply
are hidden; a dataset of another task brings a model, loss and metric that fit it.
"""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QApplication,
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
from fl_pytorch.plugins import check_plugins, load_plugins

from ..fit_rules import companions
from ..form import (
    applies,
    build_sweep,
    config_values,
    field_help,
    field_label,
    options_by_group,
    sweep_lists,
)
from ..widgets.option_editors import ChoiceEditor, OptionEditor, make_editor

STATUS_LINES = 2  # the status line's reserved height, in lines of text
READY_HINT = ("All options are valid. Hover a field for its flag and help; F5 launches. "
              "A list of values in a field, e.g. [0.1, 0.5, 1], launches a sweep.")


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
        self.errors: dict[str, str] = {}
        self.grid: dict[str, list] = {}  # option -> values, when fields hold lists (a sweep)
        self._loading = False
        self._launch_refused = False
        self._note = ""
        self._dataset = ""
        self._plugins, self._plugin_error = "", None

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

        self.status_line = QLabel()
        self.status_line.setObjectName("statusLine")
        self.status_line.setWordWrap(True)
        self.status_line.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.status_line.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.status_line.setFixedHeight(STATUS_LINES * self.fontMetrics().lineSpacing() + 14)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(self._build_form())
        self.scroll = scroll

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.status_line)
        layout.addWidget(scroll, 1)
        self.set_config(Config())
        QApplication.instance().focusChanged.connect(self._focus_changed)

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
            grid.addWidget(label, i, 0)
            grid.addWidget(editor, i, 1)
            self.editors[name], self.labels[name] = editor, label
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
        self._dataset, self._note = config.dataset, ""
        self.revalidate()

    def revalidate(self) -> None:
        """Check the form; mark invalid fields with their message; show what applies."""
        if self._loading:
            return
        self._follow_dataset()
        plugin_error = self._follow_plugins()
        raw = self.raw_values()
        _, self.grid, self.errors = build_sweep(raw)
        if plugin_error:
            self.errors = {"plugins": plugin_error, **self.errors}
        plain, lists = sweep_lists(raw)
        for name, editor in self.editors.items():
            editor.set_error(self.errors.get(name))
            shown = name in self.errors or name in lists or applies(name, plain)
            editor.setVisible(shown)
            self.labels[name].setVisible(shown)
        self._launch_refused = self._launch_refused and bool(self.errors)
        self._update_status()

    def _follow_plugins(self) -> str | None:
        """Load the plugins field's modules; their algorithms, datasets... join the lists."""
        text = str(self.editors["plugins"].value())
        if text == self._plugins or check_plugins(text):
            return self._plugin_error
        self._plugins = text
        try:
            load_plugins(text)
            self._plugin_error = None
        except ConfigError as e:
            self._plugin_error = str(e)
        self._loading = True
        for editor in self.editors.values():
            if isinstance(editor, ChoiceEditor):
                editor.refresh_choices()
        self._loading = False
        return self._plugin_error

    def _follow_dataset(self) -> None:
        """A dataset of another task brings a model, loss and metric that fit it (said once)."""
        dataset = self.editors["dataset"].value()
        if dataset == self._dataset:
            return
        changes = {k: v for k, v in companions(self._dataset, dataset).items()
                   if self.editors[k].value() != v}
        self._dataset = dataset
        self._loading = True
        for name, value in changes.items():
            self.editors[name].set_value(value)
        self._loading = False
        self._note = (f"To fit dataset {dataset}: " + ", ".join(
            f"{field_label(k).lower()} set to {v}" for k, v in changes.items()) + ".") \
            if changes else ""

    def _focus_changed(self, _old: object, _new: object) -> None:
        self._update_status()  # the status line follows the field being edited

    def focused_option(self) -> str | None:
        """The option whose field has the keyboard focus, if any."""
        widget = QApplication.focusWidget()
        while widget is not None and not isinstance(widget, OptionEditor):
            widget = widget.parentWidget()
        return widget.name if widget is not None and widget.name in self.editors else None

    def _update_status(self) -> None:
        """The status line: the focused field's error, else the first error, a note or a hint."""
        if self.errors:
            name = self.focused_option()
            name = name if name in self.errors else next(iter(self.errors))
            count = len(self.errors)
            lead = "Cannot launch: " if self._launch_refused else ""
            text = (f"{lead}{count} invalid option{'s' * (count > 1)} (outlined in red). "
                    f"{field_label(name)}: {self.errors[name]}")
            self.show_message(text, "error")
        elif self.grid:
            count = 1
            for values in self.grid.values():
                count *= len(values)
            shape = " x ".join(f"{len(v)} {field_label(k)}" for k, v in self.grid.items())
            self.show_message(f"Sweep: {count} runs ({shape}); F5 launches them as one sweep, "
                              "shown in the Simulation and Analysis tabs.", "note")
        elif self._note:
            self.show_message(self._note, "note")
        else:
            self.show_message(READY_HINT, "hint")

    def show_message(self, text: str, kind: str = "error") -> None:
        """Show ``text`` in the status line (kind: error, note or hint)."""
        self.status_line.setText(text)
        self.status_line.setToolTip(text)
        self.status_line.setProperty("kind", kind)
        self.status_line.style().unpolish(self.status_line)
        self.status_line.style().polish(self.status_line)

    def current_config(self) -> Config | None:
        """The form's Config, or None after flagging the invalid fields (status line + focus).

        With lists in fields (a sweep) it is the sweep's base: each swept field at its first
        value; :attr:`grid` holds the swept values.
        """
        config, self.grid, _ = build_sweep(self.raw_values())
        self.revalidate()
        if config is None:
            self._launch_refused = True
            first = self.editors[next(iter(self.errors))]
            self.scroll.ensureWidgetVisible(first)
            first.field.setFocus()
            self._update_status()
        return config

    # ------------------------------------------------------------------ files
    def load_json(self, path: str) -> None:
        """Fill the form from a JSON config file (errors go to the status line)."""
        try:
            self.set_config(Config.load_json(path))
        except ConfigError as e:
            self.show_message(str(e))

    def _load_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load configuration", "",
                                              "JSON config (*.json);;All files (*)")
        if path:
            self.load_json(path)

    def _save_dialog(self) -> None:
        config = self.current_config()
        if config is None:
            return
        if self.grid:  # a configuration file holds one run
            self.show_message("Save config saves one configuration; this form is a sweep "
                              "(lists in fields): Show command line gives its --sweep line.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save configuration", "config.json",
                                              "JSON config (*.json)")
        if path:
            config.save_json(path)
