"""Result files: format and validation, safe loading, CSV/JSON export, plots, ``results`` CLI.

A result is a dict of plain Python/NumPy data (see ``docs/results_format.md``), saved as one
pickle with :func:`save_result` and read back with :func:`load_result`, which cannot run code.
"""

from .cli import add_results_parser, run_results_command
from .export import save_json, summary, to_csv, to_json
from .format import (
    FORMAT,
    STATUSES,
    VERSION,
    ResultError,
    save_result,
    to_plain,
    validate_result,
)
from .loader import UnsafeResultError, load_result, load_results, loads_result
from .plot import X_AXES, format_label, new_figure, plot_runs, save_figure

__all__ = [
    "FORMAT",
    "STATUSES",
    "VERSION",
    "X_AXES",
    "ResultError",
    "UnsafeResultError",
    "add_results_parser",
    "format_label",
    "load_result",
    "load_results",
    "loads_result",
    "new_figure",
    "plot_runs",
    "run_results_command",
    "save_figure",
    "save_json",
    "save_result",
    "summary",
    "to_csv",
    "to_json",
    "to_plain",
    "validate_result",
]
