"""Result files: format and validation, safe loading, CSV/JSON export, plots, ``results`` CLI.

A result is a dict of plain Python/NumPy data (see ``docs/results_format.md``), saved as one
pickle with :func:`save_result` and read back with :func:`load_result`, which cannot run code.
Names are imported on first use: writing a result file does not load Matplotlib.
"""

import importlib

_PUBLIC = {
    "add_results_parser": "cli", "run_results_command": "cli",
    "save_json": "export", "summary": "export", "to_csv": "export", "to_json": "export",
    "FORMAT": "format", "STATUSES": "format", "VERSION": "format", "ResultError": "format",
    "save_result": "format", "to_plain": "format", "validate_result": "format",
    "LABELS": "labels", "label": "labels",
    "AUTO": "legend", "format_label": "legend", "line_labels": "legend",
    "mixed_problems_warning": "legend",
    "UnsafeResultError": "loader", "load_result": "loader", "load_results": "loader",
    "loads_result": "loader",
    "LEGEND_PLACES": "plot", "LINE_STYLES": "plot", "MARKERS": "plot", "PlotStyle": "plot",
    "new_figure": "plot", "plot_runs": "plot", "save_figure": "plot", "save_legend": "plot",
    "X_AXES": "quantities", "quantity": "quantities",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'fl_pytorch.results' has no attribute {name!r}")
