"""One plot page of the Analysis tab: a Matplotlib canvas and its settings panel.

Drawing is ``fl_pytorch.results.plot_runs`` (the same code as ``results plot``). Runs that lack
the chosen x or y quantity are left out and named above the plot; runs of different problems on
one plot are warned about.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_qt5agg import FigureCanvasQTAgg, NavigationToolbar2QT
from matplotlib.figure import Figure
from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch.results import (
    label,
    mixed_problems_warning,
    plot_runs,
    quantity,
    save_figure,
    save_legend,
)
from fl_pytorch.results.labels import short_label
from fl_pytorch.results.quantities import available, ordered

from .plot_settings import PlotSettings

FIGURE_FILTERS = {"PNG image (*.png)": ".png", "PDF document (*.pdf)": ".pdf",
                  "SVG drawing (*.svg)": ".svg"}
TAB_TITLE_CHARS = 48
PANEL_MIN_WIDTH = 240
EMPTY_CHOICES = ("round", "wall_time", "bits_up_cum", "oracle_grad_samples", "loss")
"""Axis choices offered before any run is plotted."""
Run = tuple[str, dict[str, Any]]
"""A run to plot: its name in the table and its result dict."""


class PlotPage(QWidget):
    """Canvas (with Matplotlib's zoom/pan toolbar) beside the settings panel.

    Signals:
        settings_changed: a choice changed (redraw needed).
    """

    settings_changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = PlotSettings()
        self.settings.changed.connect(self.settings_changed)
        self.save_button = QPushButton("Save figure…")
        self.save_button.setToolTip("The figure as shown, as PNG, PDF or SVG")
        self.save_button.clicked.connect(self._save_figure_dialog)
        self.save_legend_button = QPushButton("Save legend…")
        self.save_legend_button.setToolTip("The legend alone, as PNG, PDF or SVG (e.g. to place "
                                           "once under several figures)")
        self.save_legend_button.clicked.connect(self._save_legend_dialog)
        self.figure = Figure(figsize=(7, 4.5), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.canvas.setMinimumSize(320, 240)
        self.toolbar = NavigationToolbar2QT(self.canvas, self)
        self.message = QLabel()
        self.message.setObjectName("plotNote")
        self.message.setWordWrap(True)
        self.message.hide()
        self._build_layout()

    def _build_layout(self) -> None:
        plot = QWidget()
        plot_column = QVBoxLayout(plot)
        plot_column.setContentsMargins(0, 0, 0, 0)
        tools = QHBoxLayout()
        tools.addWidget(self.toolbar, 1)
        tools.addWidget(self.save_button)
        tools.addWidget(self.save_legend_button)
        plot_column.addWidget(self.message)
        plot_column.addLayout(tools)
        plot_column.addWidget(self.canvas, 1)
        scroll = QScrollArea()
        scroll.setWidget(self.settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setMinimumWidth(PANEL_MIN_WIDTH)  # small screens: the panel scrolls
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(plot)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([1000, self.settings.sizeHint().width() + 20])  # shares, then scaled
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

    # ------------------------------------------------------------------ choices
    @property
    def x_combo(self):
        """The x-axis menu (items: friendly label, data: quantity name)."""
        return self.settings.x_combo

    @property
    def y_combo(self):
        """The y-axis menu (items: friendly label, data: quantity name)."""
        return self.settings.y_combo

    def title(self) -> str:
        """Tab title: ``"loss vs rounds"`` (shortened when long)."""
        text = f"{short_label(self.settings.keys['y'])} vs {short_label(self.settings.keys['x'])}"
        return text if len(text) <= TAB_TITLE_CHARS else text[:TAB_TITLE_CHARS - 1] + "…"

    # ------------------------------------------------------------------ drawing
    def redraw(self, runs: list[Run]) -> None:
        """Draw the chosen quantities of ``runs``; say which runs are left out and why."""
        results = [result for _, result in runs]
        offered = [set(available(r)) for r in results]  # once per run: menus and counts
        counts = Counter(q for names in offered for q in names)
        self.settings.set_quantities(ordered(counts) or list(EMPTY_CHOICES), counts, len(results))
        self.settings.set_group_choices(sorted({k for r in results for k in r["config"]})
                                        or ["group_name"])
        self.figure.clear()
        ax = self.figure.add_subplot()
        x, y = self.settings.keys["x"], self.settings.keys["y"]
        drawn, notes = self._drawable(runs, x, y)
        warning = mixed_problems_warning([r["config"] for _, r in drawn])
        if warning:
            notes.append(f"Warning: {warning}.")
        if drawn:
            try:
                plot_runs([r for _, r in drawn], x=x, y=y, ax=ax,
                          log_x=self.settings.log_x_check.isChecked(),
                          log_y=self.settings.log_y_check.isChecked(),
                          group_by=self.settings.group_by(),
                          legend_format=self.settings.legend_format() or "auto",
                          style=self.settings.style())
            except ValueError as e:
                notes.append(str(e))
        else:
            hint = "Open result files (Ctrl+O, or drop them here)\nor launch runs (F5) to plot " \
                   "them" if not runs else f"No plotted run records {label(y)} and {label(x)}"
            ax.text(0.5, 0.5, hint, ha="center", va="center", color="#6b7280",
                    transform=ax.transAxes)
            ax.set_axis_off()
        self.message.setText("\n".join(notes))
        self.message.setVisible(bool(notes))
        self.canvas.draw_idle()

    @staticmethod
    def _drawable(runs: list[Run], x: str, y: str) -> tuple[list[Run], list[str]]:
        """The runs that record both quantities, and one note per quantity others lack."""
        lacking: dict[str, list[str]] = {}
        drawn = []
        for name, result in runs:
            absent = [q for q in dict.fromkeys((y, x)) if quantity(result, q) is None]
            if absent:
                lacking.setdefault(absent[0], []).append(name)
            else:
                drawn.append((name, result))
        notes = [f"Not drawn, no {label(q)} recorded: {', '.join(names)}"
                 for q, names in lacking.items()]
        return drawn, notes

    def legend_entries(self) -> list[str]:
        """The legend texts of the drawn lines, top to bottom."""
        return self.figure.axes[0].get_legend_handles_labels()[1] if self.figure.axes else []

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path) -> Path:
        """Write the figure as PNG, PDF or SVG (by extension)."""
        return save_figure(self.figure, path)

    def save_legend(self, path: str | Path) -> Path:
        """Write the legend alone as PNG, PDF or SVG (by extension)."""
        return save_legend(self.figure.axes[0], path, font_size=self.settings.font_spin.value())

    def _save_figure_dialog(self) -> None:
        self._save_dialog("Save figure", "figure", self.save)

    def _save_legend_dialog(self) -> None:
        self._save_dialog("Save legend", "legend", self.save_legend)

    def _save_dialog(self, caption: str, stem: str, save) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, caption, f"{stem}.png",
                                                   ";;".join(FIGURE_FILTERS))
        if not path:
            return
        if Path(path).suffix.lower() not in FIGURE_FILTERS.values():
            path += FIGURE_FILTERS.get(chosen, ".png")
        try:
            save(path)
        except (OSError, ValueError) as e:
            self.message.setText(str(e))
            self.message.show()
