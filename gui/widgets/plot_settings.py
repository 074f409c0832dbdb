"""The settings panel of a plot page: axes, grouping, legend, line style and texts.

The x and y choices are kept as quantity names (``dist_to_solution``), not as combo positions:
when the runs on the page change, the menus are rebuilt around the user's choice, which never
jumps to another quantity on its own. A choice that no plotted run records stays selected and is
marked "(not recorded)".
"""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch.results import LEGEND_PLACES, LINE_STYLES, MARKERS, PlotStyle, label

NO_GROUPING = "(no grouping)"
AUTO_HINT = "automatic: the algorithm + what tells the lines apart"


def _combo(items: list[str], current: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(items)
    combo.setCurrentText(current)
    return combo


class PlotSettings(QWidget):
    """Choices of one plot; ``changed`` fires when a redraw is needed.

    Signals:
        changed: an axis, scale, grouping, legend or style choice changed.
    """

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.keys = {"x": "round", "y": "loss"}
        self.axis_combos = {axis: QComboBox() for axis in self.keys}
        for axis, combo in self.axis_combos.items():
            combo.setMaxVisibleItems(40)
            combo.setMinimumContentsLength(24)
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.activated.connect(lambda _, a=axis: self._axis_chosen(a))
        self.x_combo, self.y_combo = self.axis_combos["x"], self.axis_combos["y"]
        self.log_x_check, self.log_y_check = QCheckBox("log"), QCheckBox("log")
        self.log_x_check.setToolTip("Logarithmic x axis")
        self.log_y_check.setToolTip("Logarithmic y axis")
        self.group_combo = _combo([NO_GROUPING, "group_name"], "group_name")
        self.group_combo.setToolTip("Runs sharing a value of this option are drawn as one mean "
                                    "line with a ± std band (e.g. the seeds of one group)")
        self.legend_edit = QLineEdit()
        self.legend_edit.setPlaceholderText(AUTO_HINT)
        self.legend_edit.setToolTip("Empty: automatic legend (distinct for every line). Or a "
                                    "template of {option} fields, e.g. {algorithm} lr={global_lr}")
        self.legend_fields = QToolButton()
        self.legend_fields.setText("+")
        self.legend_fields.setToolTip("Insert an option of the runs into the legend template")
        self.legend_fields.setPopupMode(QToolButton.InstantPopup)
        self.legend_fields.setMenu(QMenu(self.legend_fields))
        self.legend_place_combo = _combo(list(LEGEND_PLACES), "best")
        self.line_style_combo = _combo(list(LINE_STYLES), "solid")
        self.marker_combo = _combo(list(MARKERS), "none")
        self.width_spin = QDoubleSpinBox()
        self.width_spin.setRange(0.25, 8.0)
        self.width_spin.setSingleStep(0.25)
        self.width_spin.setValue(PlotStyle.line_width)
        self.font_spin = QSpinBox()
        self.font_spin.setRange(6, 28)
        self.font_spin.setValue(int(PlotStyle.font_size))
        self.title_check = QCheckBox("Title")
        self.title_check.setChecked(True)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("automatic: y vs x")
        self._build_layout()
        for signal in (self.log_x_check.toggled, self.log_y_check.toggled,
                       self.group_combo.activated, self.legend_edit.editingFinished,
                       self.legend_place_combo.activated, self.line_style_combo.activated,
                       self.marker_combo.activated, self.width_spin.valueChanged,
                       self.font_spin.valueChanged, self.title_check.toggled,
                       self.title_edit.editingFinished):
            signal.connect(self.changed)

    def _build_layout(self) -> None:
        axes = QGridLayout()
        for row, (text, combo, check) in enumerate((("x", self.x_combo, self.log_x_check),
                                                    ("y", self.y_combo, self.log_y_check))):
            axes.addWidget(QLabel(text), row, 0)
            axes.addWidget(combo, row, 1)
            axes.addWidget(check, row, 2)
        axes.addWidget(QLabel("Group by"), 2, 0)
        axes.addWidget(self.group_combo, 2, 1, 1, 2)
        axes.setColumnStretch(1, 1)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend_edit, 1)
        legend_row.addWidget(self.legend_fields)
        legend = QFormLayout()
        legend.addRow("Entries", legend_row)
        legend.addRow("Position", self.legend_place_combo)
        style = QFormLayout()
        style.addRow("Line style", self.line_style_combo)
        style.addRow("Marker", self.marker_combo)
        style.addRow("Line width", self.width_spin)
        style.addRow("Font size", self.font_spin)
        style.addRow(self.title_check, self.title_edit)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        for title, form in (("Axes", axes), ("Legend", legend), ("Style", style)):
            box = QGroupBox(title)
            box.setLayout(form)
            column.addWidget(box)
        column.addStretch(1)

    # ------------------------------------------------------------------ axes
    def _axis_chosen(self, axis: str) -> None:
        self.keys[axis] = self.axis_combos[axis].currentData()
        self.changed.emit()

    def choose(self, axis: str, key: str) -> None:
        """Put quantity ``key`` on ``axis`` ("x" or "y"), as if the user picked it."""
        self.keys[axis] = key
        self._select(self.axis_combos[axis], key)
        self.changed.emit()

    @staticmethod
    def _select(combo: QComboBox, key: str) -> None:
        index = combo.findData(key)
        if index < 0:  # chosen, but no plotted run records it: keep it, say so
            combo.addItem(f"{label(key)} (not recorded)", key)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def set_quantities(self, names: list[str], counts: dict[str, int], runs: int) -> None:
        """Offer ``names`` on both axes, saying "(k of n runs)" for those only some runs have.

        Args:
            names: quantities, in menu order.
            counts: quantity -> number of runs that have it.
            runs: number of runs plotted.
        """
        items = []
        for name in names:
            count = counts.get(name, 0)
            note = f" ({count} of {runs} runs)" if count < runs else ""
            items.append((f"{label(name)}{note}", name))
        for axis, combo in self.axis_combos.items():
            if items == [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]:
                continue
            combo.blockSignals(True)
            combo.clear()
            for text, name in items:
                combo.addItem(text, name)
                combo.setItemData(combo.count() - 1, name, Qt.ToolTipRole)  # the key
            self._select(combo, self.keys[axis])
            combo.blockSignals(False)

    # ------------------------------------------------------------------ grouping and legend
    def set_group_choices(self, keys: list[str]) -> None:
        """Offer the configuration options ``keys`` for grouping (keeping the current choice)."""
        current = self.group_combo.currentText()
        items = [NO_GROUPING, *keys]
        if items == [self.group_combo.itemText(i) for i in range(self.group_combo.count())]:
            return
        self.group_combo.blockSignals(True)
        self.group_combo.clear()
        self.group_combo.addItems(items)
        self.group_combo.setCurrentText(current if current in items else NO_GROUPING)
        self.group_combo.blockSignals(False)
        menu = self.legend_fields.menu()
        menu.clear()
        for key in keys:
            menu.addAction(key).triggered.connect(lambda _, k=key: self._insert_field(k))

    def _insert_field(self, key: str) -> None:
        self.legend_edit.insert(("" if not self.legend_edit.text() else " ") + f"{{{key}}}")
        self.changed.emit()

    def group_by(self) -> str | None:
        """The grouping option, or None for one line per run."""
        group = self.group_combo.currentText()
        return None if group == NO_GROUPING else group

    def legend_format(self) -> str:
        """The legend template ("" = automatic)."""
        return self.legend_edit.text().strip()

    # ------------------------------------------------------------------ style
    def title(self) -> str:
        """The plot's title: the typed one, ``"y vs x"`` when empty, "" when switched off."""
        if not self.title_check.isChecked():
            return ""
        return self.title_edit.text().strip() or \
            f"{label(self.keys['y'])} vs {label(self.keys['x'])}"

    def style(self) -> PlotStyle:
        """The chosen line style, marker, width, font size, legend position and title."""
        return PlotStyle(line_style=self.line_style_combo.currentText(),
                         marker=self.marker_combo.currentText(),
                         line_width=self.width_spin.value(), font_size=self.font_spin.value(),
                         legend_position=self.legend_place_combo.currentText(),
                         title=self.title())
