"""One plot page of the Analysis tab.

Axis choices, log scale, grouping and legend above a Matplotlib Qt canvas drawn by
``fl_pytorch.results.plot_runs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch.results import X_AXES, plot_runs, save_figure
from fl_pytorch.results.plot import DEFAULT_LEGEND

X_TITLES = {"rounds": "rounds", "bits": "bits sent", "time": "wall time", "oracle": "oracle calls"}
NO_GROUPING = "(no grouping)"
FIGURE_FILTERS = {"PNG image (*.png)": ".png", "PDF document (*.pdf)": ".pdf",
                  "SVG drawing (*.svg)": ".svg"}


class PlotPage(QWidget):
    """Controls and canvas of one plot.

    Signals:
        settings_changed: an axis, scale, grouping or legend choice changed (redraw needed).
    """

    settings_changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.x_combo = QComboBox()
        for key in X_AXES:
            self.x_combo.addItem(X_TITLES.get(key, key), key)
        self.y_combo = QComboBox()
        self.y_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.log_check = QCheckBox("Log scale")
        self.group_combo = QComboBox()
        self.group_combo.setToolTip("Runs sharing a value of this option are drawn as one mean "
                                    "line with a ± std band (e.g. seeds of one group)")
        self.legend_edit = QLineEdit(DEFAULT_LEGEND)
        self.legend_edit.setToolTip("Legend of each line: {option} fields of the run's "
                                    "configuration, e.g. {algorithm} lr={global_lr}")
        self.save_button = QPushButton("Save figure…")
        self.save_button.clicked.connect(self._save_dialog)
        for signal in (self.x_combo.currentIndexChanged, self.y_combo.currentIndexChanged,
                       self.log_check.toggled, self.group_combo.currentIndexChanged,
                       self.legend_edit.editingFinished):
            signal.connect(self.settings_changed)

        controls = QHBoxLayout()
        for label, widget in (("x", self.x_combo), ("y", self.y_combo), (None, self.log_check),
                              ("Group by", self.group_combo), ("Legend", self.legend_edit)):
            if label:
                controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.save_button)

        self.figure = Figure(figsize=(7, 4.5), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.toolbar = NavigationToolbar2QT(self.canvas, self)
        self.message = QLabel()
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.message)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.canvas, 1)
        self.set_group_choices(["group_name"])

    # ------------------------------------------------------------------ choices
    def title(self) -> str:
        """Tab title: ``"loss vs rounds"``."""
        return f"{self.y_combo.currentText() or 'plot'} vs {self.x_combo.currentText()}"

    def set_y_choices(self, metrics: list[str]) -> None:
        """Offer ``metrics`` on y, keeping the current choice (default: loss)."""
        current = self.y_combo.currentText() or "loss"
        if metrics == [self.y_combo.itemText(i) for i in range(self.y_combo.count())]:
            return
        self.y_combo.blockSignals(True)
        self.y_combo.clear()
        self.y_combo.addItems(metrics)
        if current in metrics:
            self.y_combo.setCurrentText(current)
        self.y_combo.blockSignals(False)

    def set_group_choices(self, keys: list[str]) -> None:
        """Offer the configuration options ``keys`` for grouping (default: group_name)."""
        current = self.group_combo.currentText() or "group_name"
        items = [NO_GROUPING, *keys]
        if items == [self.group_combo.itemText(i) for i in range(self.group_combo.count())]:
            return
        self.group_combo.blockSignals(True)
        self.group_combo.clear()
        self.group_combo.addItems(items)
        self.group_combo.setCurrentText(current if current in items else NO_GROUPING)
        self.group_combo.blockSignals(False)

    # ------------------------------------------------------------------ drawing
    def redraw(self, results: list[dict[str, Any]]) -> None:
        """Draw the chosen metric of ``results``; a bad choice is reported above the plot."""
        self.figure.clear()
        ax = self.figure.add_subplot()
        self.message.hide()
        if not results:
            ax.text(0.5, 0.5, "Open result files (Ctrl+O, or drop them here)\nor launch runs "
                    "(F5) to plot them", ha="center", va="center", color="#6b7280",
                    transform=ax.transAxes)
            ax.set_axis_off()
        else:
            group = self.group_combo.currentText()
            try:
                plot_runs(results, x=self.x_combo.currentData(), y=self.y_combo.currentText(),
                          ax=ax, log_y=self.log_check.isChecked(),
                          group_by=None if group == NO_GROUPING else group,
                          legend_format=self.legend_edit.text())
            except ValueError as e:
                self.message.setText(str(e))
                self.message.show()
        self.canvas.draw_idle()

    def save(self, path: str | Path) -> Path:
        """Write the figure as PNG, PDF or SVG (by extension)."""
        return save_figure(self.figure, path)

    def _save_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Save figure", "figure.png",
                                                   ";;".join(FIGURE_FILTERS))
        if not path:
            return
        if Path(path).suffix.lower() not in FIGURE_FILTERS.values():
            path += FIGURE_FILTERS.get(chosen, ".png")
        try:
            self.save(path)
        except (OSError, ValueError) as e:
            self.message.setText(str(e))
            self.message.show()
