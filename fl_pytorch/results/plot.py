"""Plot metrics of several runs, one line per run or per group of seeds (mean +- std band).

Only the object-oriented Matplotlib API is used (``Figure`` + Agg canvas, never ``pyplot``), so
plotting keeps no global state, is safe from worker threads and can draw into a Qt canvas's axes.
"""

from __future__ import annotations

import io
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..utils.atomic import atomic_write_bytes

X_AXES = {"rounds": "round", "bits": "bits_up_cum", "time": "wall_time",
          "oracle": "oracle_grad_samples"}
"""User's x-axis choice -> the metric plotted on x."""

X_LABELS = {"rounds": "rounds", "bits": "bits sent uplink (cumulative)", "time": "wall time (s)",
            "oracle": "per-sample gradients computed (cumulative)"}
FIGURE_FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
DEFAULT_LEGEND = "{algorithm} {client_compressor}"


def new_figure(figsize: tuple[float, float] = (6.4, 4.8)) -> Figure:
    """A stand-alone figure on an Agg canvas (no pyplot, no global figure registry)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def format_label(legend_format: str, config: dict[str, Any]) -> str:
    """Fill ``legend_format`` (``str.format`` syntax) with config values.

    Raises:
        ValueError: a field is not a config key (the message lists the valid keys).
    """
    for _, field, _, _ in string.Formatter().parse(legend_format):
        if field is None:
            continue
        key = field.split(".")[0].split("[")[0]
        if key not in config:
            raise ValueError(f"legend format: unknown key {key or '{}'!r}; valid keys: "
                             f"{', '.join(sorted(config))}")
    try:
        return legend_format.format(**config)
    except (ValueError, IndexError, KeyError, AttributeError, TypeError) as e:
        raise ValueError(f"legend format {legend_format!r}: {e}") from None


def _valid_y(results: Sequence[dict], y: str) -> None:
    common = [m for m in results[0]["metrics"] if all(m in r["metrics"] for r in results)]
    if y not in common:
        where = "is not recorded in every run" if any(y in r["metrics"] for r in results) \
            else "is not a recorded metric"
        raise ValueError(f"y axis: {y!r} {where}; valid choices: {', '.join(common)}")


def _x_values(result: dict, x: str) -> np.ndarray:
    metrics = result["metrics"]
    name = X_AXES[x]
    if name in metrics:
        return metrics[name].astype(float)
    if x == "rounds":  # row i is round i
        return np.arange(len(next(iter(metrics.values()))), dtype=float)
    raise ValueError(f"x axis: {x!r} needs metric {name!r}, which this run did not record "
                     f"({result.get('command_line') or 'no command line'})")


def _group_runs(results: Sequence[dict], group_by: str | None) -> list[list[int]]:
    """Indices of runs grouped by a non-empty ``config[group_by]``, in order of first appearance."""
    if group_by and not any(group_by in r["config"] for r in results):
        raise ValueError(f"group by: unknown config key {group_by!r}; valid keys: "
                         f"{', '.join(sorted(results[0]['config']))}")
    groups: dict[Any, list[int]] = {}
    for i, r in enumerate(results):
        value = r["config"].get(group_by) if group_by else None
        key = ("run", i) if value is None or value == "" else ("group", repr(value))
        groups.setdefault(key, []).append(i)
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


def plot_runs(results: Sequence[dict], x: str = "rounds", y: str = "loss", ax: Axes | None = None,
              log_y: bool = False, group_by: str | None = "group_name",
              legend_format: str = DEFAULT_LEGEND) -> Figure:
    """Draw metric ``y`` against ``x`` for every run; return the figure.

    Args:
        results: loaded result dicts.
        x: one of :data:`X_AXES` (rounds, bits, time, oracle).
        y: a metric recorded in every run (e.g. ``loss``, ``full_gradient_norm_train``).
        ax: axes to draw into (e.g. a Qt canvas's); a new Agg figure when None.
        log_y: logarithmic y axis.
        group_by: config key; runs sharing a non-empty value become one mean line with a
            +-std band (x = mean x of the group). None or "" disables grouping.
        legend_format: ``str.format`` template over config keys.

    Rows where x or y is NaN (metric not evaluated that round) are skipped.

    Raises:
        ValueError: unknown x, y, group key or legend key (the message lists valid choices).
    """
    if not results:
        raise ValueError("no results to plot")
    if x not in X_AXES:
        raise ValueError(f"x axis: unknown choice {x!r}; valid choices: {', '.join(X_AXES)}")
    _valid_y(results, y)
    labels = [format_label(legend_format, r["config"]) for r in results]
    series = [(_x_values(r, x), r["metrics"][y].astype(float)) for r in results]
    if ax is None:
        ax = new_figure().add_subplot()
    for members in _group_runs(results, group_by):
        if len(members) == 1:
            xv, yv = series[members[0]]
            keep = np.isfinite(xv) & np.isfinite(yv)
            ax.plot(xv[keep], yv[keep], label=labels[members[0]])
            continue
        xm, ym, sd = group_mean_std([series[i][0] for i in members],
                                    [series[i][1] for i in members])
        (line,) = ax.plot(xm, ym, label=f"{labels[members[0]]} (mean ± std, {len(members)} runs)")
        ax.fill_between(xm, ym - sd, ym + sd, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel(X_LABELS[x])
    ax.set_ylabel(y)
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[1]:
        ax.legend()
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
