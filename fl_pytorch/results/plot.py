"""Plot any quantity of several runs against any other, one line per run or per group of seeds.

Only the object-oriented Matplotlib API is used (``Figure`` + Agg canvas, never ``pyplot``), so
plotting keeps no global state, is safe from worker threads and can draw into a Qt canvas's axes.
Axis labels come from :mod:`.labels`, quantities from :mod:`.quantities`, legend entries from
:mod:`.legend`; the GUI's analysis tab and ``results plot`` share all three.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..utils.atomic import atomic_write_bytes
from .labels import label
from .legend import AUTO, line_labels
from .quantities import X_AXES, available, quantity, resolve

FIGURE_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
DEFAULT_LEGEND = AUTO
LINE_STYLES = {"solid": "-", "dashed": "--", "dotted": ":", "dash-dot": "-.", "cycle": None}
"""Line style choices; ``cycle`` gives each line the next style."""
MARKERS = {"none": "", "circle": "o", "square": "s", "triangle": "^", "diamond": "D",
           "cross": "x", "plus": "+", "star": "*", "cycle": None}
"""Marker choices; ``cycle`` gives each line the next marker."""
LEGEND_PLACES: dict[str, dict[str, Any] | None] = {
    "best": {"loc": "best"}, "upper right": {"loc": "upper right"},
    "upper left": {"loc": "upper left"}, "lower left": {"loc": "lower left"},
    "lower right": {"loc": "lower right"}, "center right": {"loc": "center right"},
    "outside right": {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0},
    "below": {"loc": "upper center", "bbox_to_anchor": (0.5, -0.16)},
    "none": None}
"""Legend position choices (``none``: no legend in the figure)."""


@dataclass(frozen=True)
class PlotStyle:
    """How the lines, texts and legend of a plot look."""

    line_style: str = "solid"
    marker: str = "none"
    line_width: float = 1.5
    marker_size: float = 5.0
    font_size: float = 10.0
    legend_position: str = "best"
    title: str = ""

    def check(self) -> None:
        """Raise ValueError naming the bad field, its value and the valid choices."""
        for name, choices in (("line_style", LINE_STYLES), ("marker", MARKERS),
                              ("legend_position", LEGEND_PLACES)):
            if getattr(self, name) not in choices:
                raise ValueError(f"{name}: invalid value {getattr(self, name)!r}; valid "
                                 f"choices: {', '.join(choices)}")
        for name in ("line_width", "marker_size", "font_size"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: invalid value {getattr(self, name)!r}; must be > 0")

    def line_kwargs(self, n: int) -> dict[str, Any]:
        """Matplotlib keywords of the ``n``-th line (cycled styles and markers advance with n)."""
        styles = [s for s in LINE_STYLES.values() if s]
        markers = [m for m in MARKERS.values() if m]
        return {"linestyle": LINE_STYLES[self.line_style] or styles[n % len(styles)],
                "marker": MARKERS[self.marker] if MARKERS[self.marker] is not None
                else markers[n % len(markers)],
                "linewidth": self.line_width, "markersize": self.marker_size}


def new_figure(figsize: tuple[float, float] = (6.4, 4.8)) -> Figure:
    """A stand-alone figure on an Agg canvas (no pyplot, no global figure registry)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def common_quantities(results: Sequence[dict]) -> list[str]:
    """Quantities every one of ``results`` can plot, in menu order."""
    if not results:
        return []
    return [q for q in available(results[0])
            if all(quantity(r, q) is not None for r in results[1:])]


def _axis_values(results: Sequence[dict], name: str, axis: str) -> list[np.ndarray]:
    """The values of quantity ``name`` in every run, or a ValueError listing valid choices."""
    values = [quantity(r, name) for r in results]
    if all(v is not None for v in values):
        return values  # type: ignore[return-value]
    common = common_quantities(results)
    choices = [*X_AXES, *common] if axis == "x" else common
    where = "is not recorded in every run" if any(v is not None for v in values) \
        else "is not a recorded metric"
    raise ValueError(f"{axis} axis: {name!r} {where}; valid choices: {', '.join(choices)}")


def _group_runs(results: Sequence[dict], group_by: str | None) -> list[list[int]]:
    """Indices of runs grouped by their values of the ``group_by`` keys (comma-separated).

    A run whose values are all empty stays alone. Groups come in order of first appearance.
    """
    keys = [k.strip() for k in (group_by or "").split(",") if k.strip()]
    for key in keys:
        if not any(key in r["config"] for r in results):
            raise ValueError(f"group by: unknown config key {key!r}; valid keys: "
                             f"{', '.join(sorted(results[0]['config']))}")
    groups: dict[Any, list[int]] = {}
    for i, r in enumerate(results):
        values = tuple(r["config"].get(k) for k in keys)
        alone = all(v is None or v == "" for v in values)
        groups.setdefault(("run", i) if alone else ("group", repr(values)), []).append(i)
    return list(groups.values())


def group_mean_std(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Align runs on row index (shortest run wins), keep rows finite in every run.

    Returns:
        (mean x, mean y, population std of y (ddof=0)) over the kept rows.
    """
    n = min(len(v) for v in ys)
    X = np.stack([v[:n] for v in xs])
    Y = np.stack([v[:n] for v in ys])
    keep = np.isfinite(X).all(axis=0) & np.isfinite(Y).all(axis=0)
    return X[:, keep].mean(axis=0), Y[:, keep].mean(axis=0), Y[:, keep].std(axis=0)


def _decorate(ax: Axes, x: str, y: str, log_x: bool, log_y: bool, style: PlotStyle) -> None:
    """Axis labels, scales, grid, title and legend."""
    size = style.font_size
    ax.set_xlabel(label(resolve(x)), fontsize=size)
    ax.set_ylabel(label(resolve(y)), fontsize=size)
    ax.tick_params(labelsize=size * 0.9)
    for axis in (ax.xaxis, ax.yaxis):
        axis.get_offset_text().set_fontsize(size * 0.9)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if style.title:
        ax.set_title(style.title, fontsize=size * 1.15)
    place = LEGEND_PLACES[style.legend_position]
    count = len(ax.get_legend_handles_labels()[1])
    if place is not None and count:
        columns = min(count, 3) if style.legend_position == "below" else 1
        legend = ax.legend(fontsize=size, ncols=columns, **place)
        legend.set_in_layout("bbox_to_anchor" in place)  # only a legend outside needs room


def plot_runs(results: Sequence[dict], x: str = "rounds", y: str = "loss", ax: Axes | None = None,
              log_y: bool = False, group_by: str | None = "group_name",
              legend_format: str = DEFAULT_LEGEND, style: PlotStyle | None = None,
              log_x: bool = False) -> Figure:
    """Draw quantity ``y`` against ``x`` for every run; return the figure.

    Args:
        results: loaded result dicts.
        x: a quantity (``fl_pytorch.results.quantities``: a recorded metric or a derived one) or
            a short name of :data:`X_AXES` (rounds, bits, time, oracle, simtime).
        y: a quantity every run has (e.g. ``loss``, ``dist_to_solution``).
        ax: axes to draw into (e.g. a Qt canvas's); a new Agg figure when None.
        log_y: logarithmic y axis.
        group_by: config key, or comma-separated keys; runs sharing their (non-empty) values
            become one mean line with a +-std band (x = mean x of the group). None or ""
            disables grouping.
        legend_format: ``"auto"`` (algorithm + the options that tell the lines apart) or
            a ``str.format`` template over config keys.
        style: line style, marker, widths, font size, legend position, title.
        log_x: logarithmic x axis.

    Rows where x or y is NaN (metric not evaluated that round) are skipped.

    Raises:
        ValueError: unknown x, y, group key, legend key or style value (the message lists the
            valid choices).
    """
    if not results:
        raise ValueError("no results to plot")
    style = style or PlotStyle()
    style.check()
    xs, ys = _axis_values(results, x, "x"), _axis_values(results, y, "y")
    groups = _group_runs(results, group_by)
    labels = line_labels([[results[i]["config"] for i in g] for g in groups], legend_format)
    if ax is None:
        ax = new_figure().add_subplot()
    for n, (members, text) in enumerate(zip(groups, labels)):
        kwargs = style.line_kwargs(n)
        if len(members) == 1:
            xv, yv = xs[members[0]], ys[members[0]]
            keep = np.isfinite(xv) & np.isfinite(yv)
            ax.plot(xv[keep], yv[keep], label=text, **kwargs)
            continue
        xm, ym, sd = group_mean_std([xs[i] for i in members], [ys[i] for i in members])
        (line,) = ax.plot(xm, ym, label=text, **kwargs)
        ax.fill_between(xm, ym - sd, ym + sd, color=line.get_color(), alpha=0.2, linewidth=0)
    _decorate(ax, x, y, log_x, log_y, style)
    return ax.figure  # type: ignore[return-value]


def save_figure(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` as PNG, PDF or SVG (chosen by the extension), atomically.

    Raises:
        ValueError: unsupported extension (the message lists the valid ones).
    """
    path = Path(path)
    fmt = FIGURE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot save a figure as {path.suffix or 'a file without extension'!r} "
                         f"({path}); valid extensions: {', '.join(FIGURE_FORMATS)}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())


def save_legend(ax: Axes, path: str | Path, font_size: float = 10.0, columns: int = 1) -> Path:
    """Write the legend of ``ax`` alone (no axes) as PNG, PDF or SVG, e.g. for a paper's caption.

    Raises:
        ValueError: nothing labelled is drawn, or an unsupported extension.
    """
    handles, texts = ax.get_legend_handles_labels()
    if not handles:
        raise ValueError("no legend to save: the plot has no labelled lines")
    fig = new_figure(figsize=(0.5, 0.5))
    fig.legend(handles, texts, loc="center", frameon=False, fontsize=font_size, ncols=columns)
    return save_figure(fig, path)
