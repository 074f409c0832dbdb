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
from .labels import LABELS, label
from .legend import AUTO, format_label, line_labels, mixed_problems_warning
from .loader import UnsafeResultError, load_result, load_results, loads_result
from .plot import (
    LEGEND_PLACES,
    LINE_STYLES,
    MARKERS,
    PlotStyle,
    new_figure,
    plot_runs,
    save_figure,
    save_legend,
)
from .quantities import X_AXES, quantity

__all__ = [
    "AUTO",
    "FORMAT",
    "LABELS",
    "LEGEND_PLACES",
    "LINE_STYLES",
    "MARKERS",
    "STATUSES",
    "VERSION",
    "X_AXES",
    "PlotStyle",
    "ResultError",
    "UnsafeResultError",
    "add_results_parser",
    "format_label",
    "label",
    "line_labels",
    "load_result",
    "load_results",
    "loads_result",
    "mixed_problems_warning",
    "new_figure",
    "plot_runs",
    "quantity",
    "run_results_command",
    "save_figure",
    "save_json",
    "save_legend",
    "save_result",
    "summary",
    "to_csv",
    "to_json",
    "to_plain",
    "validate_result",
]
