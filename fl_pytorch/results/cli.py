"""The ``results`` subcommand: list, show, export (CSV/JSON) and plot result files.

Wired into the main command line as ``python -m fl_pytorch results ...``; also runnable alone as
``python -m fl_pytorch.results ...``. User errors print one ``error: ...`` line and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .export import save_json, summary, to_csv, to_json
from .legend import mixed_problems_warning
from .loader import load_result, load_results
from .plot import DEFAULT_LEGEND, LEGEND_PLACES, PlotStyle, plot_runs, save_figure
from .quantities import X_AXES
from .selection import RESULT_SUFFIXES, expand_paths, select_best, select_where

_DESCRIPTION = ("Inspect, export and plot result files written by fl_pytorch. Files are loaded "
                "with a restricted unpickler: a file cannot run code.")


def add_results_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``results`` command (with list/show/csv/json/plot) to an argparse subparsers set."""
    parser = subparsers.add_parser("results", help="inspect, export and plot result files",
                                   description=_DESCRIPTION)
    _add_commands(parser)
    return parser


def _add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="results_command", metavar="COMMAND", required=True)

    p = sub.add_parser("list", help="one line per result file (files or folders)")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help=f"result files, or folders to scan for {', '.join(RESULT_SUFFIXES)} files")

    p = sub.add_parser("show", help="print a summary of each result file")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("csv", help="export the per-round metrics as CSV")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: stdout)")

    p = sub.add_parser("json", help="export config and metrics as JSON (NaN -> null)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: stdout)")
    p.add_argument("--params", action="store_true", help="also include the final parameters")

    p = sub.add_parser("plot", help="plot a metric of one or more runs to PNG/PDF/SVG")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="result files, or folders of them (a sweep's folder: its runs)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="image file; the extension (.png, .pdf, .svg) picks the format")
    p.add_argument("--x", default="rounds", metavar="AXIS",
                   help=f"x axis: {', '.join(X_AXES)}, or any metric or derived quantity "
                        "(docs/results_format.md; default: rounds)")
    p.add_argument("--y", default="loss", metavar="METRIC",
                   help="metric or derived quantity on the y axis (default: loss)")
    p.add_argument("--log-x", action="store_true", help="logarithmic x axis")
    p.add_argument("--log-y", action="store_true", help="logarithmic y axis")
    p.add_argument("--title", default="", help="title above the plot")
    p.add_argument("--legend-position", default="best", metavar="WHERE",
                   help=f"{', '.join(LEGEND_PLACES)} (default: best)")
    p.add_argument("--group-by", default="group_name", metavar="KEY[,KEY...]",
                   help="config key(s); runs sharing their (non-empty) values are drawn as one "
                        "mean +- std band (default: group_name, which a sweep sets to each "
                        "configuration: a band over its seeds; '' to disable)")
    p.add_argument("--where", action="append", default=[], metavar="OPTION=VALUE",
                   help="plot only the runs with this option value (repeatable)")
    p.add_argument("--best-by", default="", metavar="METRIC",
                   help="plot only the best step size (global_lr, local_lr) of each method, by "
                        "the final value of METRIC, mean over seeds (the tuned comparison)")
    p.add_argument("--legend", default=DEFAULT_LEGEND, metavar="FORMAT",
                   help="legend template over config keys, e.g. '{algorithm} lr={global_lr}' "
                        f"(default: {DEFAULT_LEGEND!r}: the algorithm and the options that "
                        "tell the lines apart)")


def _cmd_list(args: argparse.Namespace) -> int:
    code = 0
    for path in expand_paths(args.paths):
        try:
            r = load_result(path)
        except (OSError, ValueError) as e:
            print(f"error: {_one_line(e)}", file=sys.stderr)
            code = 2
            continue
        cfg, rounds = r["config"], r["metrics"].get("round")
        done = int(rounds[-1]) if rounds is not None and len(rounds) else 0
        print(f"{path}\t{r['status']}\t{cfg.get('algorithm', '?')}\t"
              f"{cfg.get('client_compressor', '?')}\t{done}/{cfg.get('rounds', '?')} rounds\t"
              f"group={cfg.get('group_name', '')!s}")
    return code


def _cmd_show(args: argparse.Namespace) -> int:
    results = load_results(args.files)
    print("\n\n".join(f"== {f}\n{summary(r)}" for f, r in zip(args.files, results)))
    return 0


def _cmd_csv(args: argparse.Namespace) -> int:
    result = load_result(args.file)
    to_csv(result, args.output if args.output else sys.stdout)
    return 0


def _cmd_json(args: argparse.Namespace) -> int:
    result = load_result(args.file)
    if args.output:
        save_json(result, args.output, include_params=args.params)
    else:
        print(to_json(result, include_params=args.params))
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    paths = expand_paths(args.files)
    if not paths:
        raise ValueError(f"no result files in {', '.join(args.files)}")
    results = select_where(load_results(paths), args.where)
    if args.best_by:
        results = select_best(results, args.best_by)
    if not results:
        raise ValueError(f"no run matches --where {' '.join(args.where)}")
    style = PlotStyle(title=args.title, legend_position=args.legend_position)
    fig = plot_runs(results, x=args.x, y=args.y, log_y=args.log_y, group_by=args.group_by,
                    legend_format=args.legend, style=style, log_x=args.log_x)
    warning = mixed_problems_warning([r["config"] for r in results])
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {save_figure(fig, args.output)}")
    return 0


_COMMANDS = {"list": _cmd_list, "show": _cmd_show, "csv": _cmd_csv, "json": _cmd_json,
             "plot": _cmd_plot}


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def run_results_command(args: argparse.Namespace) -> int:
    """Run a parsed ``results`` command; return the exit code (0 ok, 2 user error)."""
    try:
        return _COMMANDS[args.results_command](args)
    except (OSError, ValueError) as e:  # missing file, unsafe pickle, bad axis, bad extension...
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m fl_pytorch.results show FILE``."""
    parser = argparse.ArgumentParser(prog="python -m fl_pytorch.results", description=_DESCRIPTION)
    _add_commands(parser)
    return run_results_command(parser.parse_args(argv))
