"""Command line: ``run.sh [OPTIONS]`` runs a simulation; ``run.sh results ...`` reads results.

``run.sh worker ...`` (or ``--worker-listen-mode PORT``) serves remote runs; ``run.sh sweep
FILE.json`` or ``--sweep KEY=V1,V2 --seeds N`` runs a sweep (``sweep/cli.py``).

The parser is generated from :data:`fl_pytorch.config.OPTIONS`, so every option of the config
object is a flag with the original tool's spelling; the original's ``{simcounter}``, ``{now}``,
... in arguments are substituted first (``cli_substitution.py``). Bad input prints one ``error:``
line and exits with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import signal
import sys
from collections.abc import Sequence

from .config import GROUPS, OPTIONS, Config, coerce, with_canonical_choices
from .errors import ConfigError, is_out_of_memory, one_line
from .plugins import check_plugins, load_plugins
from .utils.signals import (
    defer_stop_signals,
    exit_status,
    last_received,
    signal_name,
    stop_signals_as_interrupts,
)

EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        raise ConfigError(message)


def _typed(name: str):
    def convert(text: str):
        try:
            return coerce(name, text)
        except ConfigError as e:  # argparse would replace the reason by "invalid float value"
            raise argparse.ArgumentTypeError(str(e).split(": ", 1)[-1]) from None
    convert.__name__ = type(OPTIONS[name].default).__name__
    return convert


def build_parser() -> argparse.ArgumentParser:
    """The simulation parser: one argument group per option group."""
    parser = _Parser(prog="run.sh", description="FL_PyTorch: federated learning optimization "
                     "simulator. Options are grouped as in the paper; subcommands: "
                     "'results' (show/csv/json/plot result files), 'worker' (serve remote "
                     "runs), 'sweep' (a grid of options x seeds: ./run.sh sweep --help).",
                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--config", metavar="FILE",
                        help="JSON file of options (field names); flags override it")
    parser.add_argument("--save-config", metavar="FILE",
                        help="write the resulting options to this JSON file and exit")
    parser.add_argument("--help-algorithm", metavar="NAME",
                        help="describe an algorithm and its --algorithm-options keys, then exit")
    parser.add_argument("--show-command-line", action="store_true",
                        help="print the command line of the resulting options (and the "
                        "commands that start its remote workers) and exit")
    parser.add_argument("--worker-listen-mode", metavar="PORT",
                        help="instead of running a simulation, serve remote runs as a worker "
                        "listening on PORT (the same as 'run.sh worker --port PORT'; see "
                        "'run.sh worker --help')")
    groups = {key: parser.add_argument_group(title) for key, title in GROUPS.items()}
    for name, f in OPTIONS.items():
        meta = f.metadata
        kwargs = dict(dest=name, default=argparse.SUPPRESS, help=meta["help"])
        if isinstance(f.default, bool):
            kwargs["action"] = "store_true"
        else:
            kwargs.update(type=_typed(name), metavar=meta["metavar"] or name.upper())
            static = meta["choices"]
            if isinstance(static, list):
                kwargs["metavar"] = "{" + ",".join(static) + "}"
        groups[meta["group"]].add_argument(*meta["flags"], **kwargs)
    return parser


def parse_config(argv: Sequence[str]) -> tuple[Config, argparse.Namespace]:
    """Parse simulation arguments into a validated Config (JSON file first, flags on top)."""
    args = build_parser().parse_args(list(argv))
    if args.config:
        base = Config.load_json(args.config)
    elif getattr(args, "resume_from", ""):  # a checkpoint brings its own options
        from .engine.checkpoint import checkpoint_config
        base = checkpoint_config(args.resume_from)
    else:
        base = Config()
    overrides = {n: getattr(args, n) for n in OPTIONS if hasattr(args, n)}
    config = dataclasses.replace(base, **overrides)
    if not (args.help_algorithm or args.show_command_line):
        from .validation.preflight import check_command_line_outputs
        check_command_line_outputs(config, args.save_config)  # before torch is imported
    if check_plugins(config.plugins) is None:  # a bad value is reported by validate()
        load_plugins(config.plugins)  # their names are valid choices from here on
    config = with_canonical_choices(config)  # e.g. the original GUI's GRADSKIP -> gradskip
    if not args.help_algorithm:
        config.validate()
    return config, args


def _describe_algorithm(name: str) -> str:
    from .core.algorithm_options import describe_options
    from .registries import ALGORITHMS
    alg = ALGORITHMS.get(name)
    needs = f"compressors: {alg.compressor_kind}; participation: " \
        f"{'every client every round' if alg.full_participation else 'any'}" \
        f"{f'; server optimizer: {alg.server_optimiser}' if alg.server_optimiser else ''}"
    return f"{alg.name}: {alg.summary} ({alg.paper})\n{needs}\n--algorithm-options keys:\n" \
        f"{describe_options(alg)}"


def _print_summary(result: dict, path: str, metric: str) -> None:
    """One line: status, rounds and the last value of the headline metric (if computed)."""
    rounds = max(0, len(result["metrics"]["round"]) - 1)  # no row 0 when it failed at start
    if metric not in result["metrics"]:  # e.g. top1_acc (the default) of a regression run
        metric = "dist_to_solution" if "dist_to_solution" in result["metrics"] else "loss"
    values = [v for v in result["metrics"].get(metric, []) if not math.isnan(v)]
    headline = f", {metric} = {values[-1]:.6g}" if values else ""
    if "evaluated_checkpoint" in result:
        print(f"evaluated the model of {result['evaluated_checkpoint']} (round "
              f"{int(result['metrics']['round'][0])}){headline}; results in {path}")
        return
    print(f"{result['status']}: {rounds} rounds{headline}; results in {path}")


def run_simulation(argv: Sequence[str]) -> int:
    """Entry point of a simulation run; returns the exit status."""
    from .cli_substitution import substitute
    config, args = parse_config(substitute(argv))  # output locations: checked before torch loads
    defer_stop_signals()  # validated: a signal from now on ends the run at its first round
    from . import api
    from .core.metrics import headline_metric
    from .tracking.logging_setup import LogCallback, configure_logging
    from .tracking.progress import ProgressBar
    if args.help_algorithm:
        print(_describe_algorithm(args.help_algorithm))
        return 0
    if args.save_config:
        config.save_json(args.save_config)
        return 0
    if args.show_command_line:
        from .cli_line import command_line, worker_commands
        print(command_line(config))
        for line in worker_commands(config):
            print(line)
        return 0
    configure_logging("WARNING" if config.quiet else config.loglevel, config.logfile,
                      config.logfilter)
    handle = api.prepare(config, [LogCallback(), ProgressBar(None if not config.quiet else False)])
    result = handle.run()
    if not config.quiet:
        _print_summary(result, str(handle.out_path),
                       headline_metric(config.metric, list(result["metrics"])))
    if result["status"] == "failed":
        print(f"error: {result['error']}", file=sys.stderr)
        return EXIT_FAILED
    return exit_status(last_received()) if result["status"] == "interrupted" else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fl_pytorch``: dispatch to the results tools or run a simulation."""
    argv = list(sys.argv[1:] if argv is None else argv)
    with stop_signals_as_interrupts():  # SIGTERM and SIGHUP act like Ctrl-C
        return _dispatch(argv)


def _dispatch(argv: list[str]) -> int:
    """Run the command of ``argv``; every user error becomes one line and its exit status."""
    try:
        if argv and argv[0] == "worker" or any(
                a.split("=")[0] == "--worker-listen-mode" for a in argv):
            from .distributed.worker_cli import worker_main
            return worker_main(argv[1:] if argv[0] == "worker" else argv)
        from .sweep.cli import is_sweep
        if is_sweep(argv):
            from .sweep.cli import sweep_main
            return sweep_main(argv, build_parser)
        if argv and argv[0] == "results":
            from .results.cli import add_results_parser, run_results_command
            parser = _Parser(prog="run.sh")
            add_results_parser(parser.add_subparsers(dest="command", required=True))
            return run_results_command(parser.parse_args(argv))
        return run_simulation(argv)
    except ConfigError as e:
        print(f"error: {one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # before a run started (imports, data loading) or a tool
        signum = last_received()
        print(f"interrupted ({signal_name(signum or signal.SIGINT)}) before a run started; "
              "nothing was computed", file=sys.stderr)
        return exit_status(signum)
    except (OSError, MemoryError) as e:  # e.g. a disk that filled up after the checks
        print(f"error: {'not enough memory' if is_out_of_memory(e) else one_line(e)}",
              file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
