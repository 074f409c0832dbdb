"""``run.sh sweep FILE.json ...`` and ``run.sh OPTIONS --sweep KEY=V1,V2 --seeds N ...``.

Sweep flags (the other arguments are run options: the base configuration, or changes to a sweep
file's base):

  --sweep KEY=V1,V2,...   sweep option KEY over the values (repeatable; ``;`` separates values
                          that contain commas)
  --seeds N               runs per configuration, runtime seeds S..S+N-1
  --jobs N                runs at the same time (default: one per GPU of --gpu, else one per
                          CPU core / --intra-op-threads)
  --sweep-mode M          auto (the default: threads, or worker processes when the runs
                          spread over several GPUs), processes (one worker process per job)
                          or threads (of this process)
  --sweep-dir DIR         the sweep's folder (default results/sweep_<name>)
  --best-by METRIC        at the end, print the best step size of each method by METRIC
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ConfigError, shown
from ..results.tuning import best_choices, format_choices
from .plan import FINISHED, INDEX_CSV, SweepPlan, cli_sweep_name, sweep_folder
from .runner import MODES, default_jobs, make_slots, resolve_mode, run_plan
from .slots import shared_process_switches
from .spec import (
    SEED_KEY,
    SweepSpec,
    checked_value,
    load_sweep_file,
    make_spec,
    option_name,
    parse_sweep_flags,
)

SWEEP_FLAGS = ("--sweep", "--seeds", "--jobs", "--sweep-mode", "--sweep-dir", "--best-by")
REFUSED = {"out": "a sweep writes one result file per run into --sweep-dir",
           "run_id": "a sweep names each run's file after its values",
           "resume_from": "a sweep resumes by itself: run the same command again",
           "evaluate": "--evaluate evaluates one checkpoint, not a sweep"}


def is_sweep(argv: Sequence[str]) -> bool:
    """True when ``argv`` asks for a sweep (``sweep ...`` or a ``--sweep``/``--seeds`` flag)."""
    return bool(argv) and argv[0] == "sweep" or any(
        a.split("=")[0] in ("--sweep", "--seeds") for a in argv)


def split_arguments(argv: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    """(sweep flags -> their values, the other arguments)."""
    flags: dict[str, list[str]] = {}
    rest: list[str] = []
    items = iter(argv)
    for arg in items:
        name, eq, value = arg.partition("=")
        if name not in SWEEP_FLAGS:
            rest.append(arg)
            continue
        if not eq:
            value = next(items, None)
            if value is None:
                raise ConfigError(f"{name}: expected a value")
        flags.setdefault(name, []).append(value)
    return flags, rest


def _single(flags: dict[str, list[str]], name: str) -> str | None:
    values = flags.get(name, [])
    if len(values) > 1:
        raise ConfigError(f"{name}: given {len(values)} times; give it once")
    return values[0] if values else None


def _count(flags: dict[str, list[str]], name: str, maximum: int) -> int | None:
    text = _single(flags, name)
    if text is None:
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= maximum:
        raise ConfigError(f"{name}: invalid value {shown(text)}; expected an integer in "
                          f"1..{maximum}")
    return int(text)


def _base(rest: list[str], build_parser: Callable[[], Any]) -> tuple[dict[str, object], object]:
    """(options given as flags, the base Config of ``--config`` or the defaults)."""
    from ..config import OPTIONS, Config
    args = build_parser().parse_args(rest)
    for flag in ("save_config", "help_algorithm", "show_command_line", "worker_listen_mode"):
        if getattr(args, flag, None):
            raise ConfigError(f"--{flag.replace('_', '-')}: not available with a sweep")
    overrides = {n: getattr(args, n) for n in OPTIONS if hasattr(args, n)}
    for name, why in REFUSED.items():
        if name in overrides:
            raise ConfigError(f"--{name.replace('_', '-')}: not available with a sweep: {why}")
    return overrides, Config.load_json(args.config) if args.config else Config()


def build_spec(argv: Sequence[str], build_parser: Callable[[], Any]
               ) -> tuple[SweepSpec, dict[str, list[str]]]:
    """The sweep of the command line, checked, and its sweep flags.

    ``build_parser`` makes the simulation's parser (``fl_pytorch.cli``, which calls this), for
    the options of the base configuration.
    """
    from_file = bool(argv) and argv[0] == "sweep"
    flags, rest = split_arguments(argv[1:] if from_file else argv)
    if from_file and (not rest or rest[0].startswith("-")):
        raise ConfigError("sweep: expected a sweep file: ./run.sh sweep FILE.json [OPTIONS]")
    overrides, base = _base(rest[1:] if from_file else rest, build_parser)
    grid = parse_sweep_flags(flags.get("--sweep", []))
    seeds = _count(flags, "--seeds", 10_000)
    if from_file:
        spec = load_sweep_file(rest[0], overrides)
        extra = {option_name(k, "--sweep"): v for k, v in grid.items()}
        grid = {**spec.grid, **{k: [checked_value(k, x, "--sweep") for x in v]
                                for k, v in extra.items()}}
        return make_spec(spec.name, spec.base, grid, seeds or spec.seeds, "--sweep"), flags
    spec = make_spec("", dataclasses.replace(base, **overrides), grid, seeds or 1, "--sweep")
    name = cli_sweep_name(spec.base, spec.grid, spec.seeds)  # the same for the same sweep
    return dataclasses.replace(spec, name=name), flags


def sweep_main(argv: Sequence[str], build_parser: Callable[[], Any]) -> int:
    """Run the sweep of ``argv`` (``build_parser``: the simulation's, see :func:`build_spec`).

    Returns:
        The exit status: 0 when every run finished, 1 when one did not, 128 + the signal when
        the sweep was stopped.
    """
    if len(argv) > 1 and argv[0] == "sweep" and argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    spec, flags = build_spec(argv, build_parser)
    mode = _single(flags, "--sweep-mode") or "auto"
    if mode not in MODES:
        raise ConfigError(f"--sweep-mode: invalid value {shown(mode)}; valid choices: "
                          f"{', '.join(MODES)}")
    from ..validation.outputs import check_output_folder
    folder = check_output_folder("--sweep-dir", _single(flags, "--sweep-dir")
                                 or sweep_folder(spec))
    plan = SweepPlan(spec, folder)  # every run's configuration validated here
    metric = _single(flags, "--best-by")
    pending = plan.pending()
    jobs = _count(flags, "--jobs", 1024) or default_jobs(spec.base, len(pending))
    mode = resolve_mode(mode, spec.base, jobs)
    print(f"sweep {spec.name}: {len(plan.runs)} runs ({_shape(spec)}) in {folder}; "
          f"{len(plan.runs) - len(pending)} already finished, {len(pending)} to run"
          + (f" on {jobs} {mode[:-1] if jobs == 1 else mode}" if pending else ""), flush=True)
    plan.write_index()
    switches = shared_process_switches(spec.grid, spec.base) if mode == "threads" \
        else contextlib.nullcontext()
    with switches:
        outcome = run_plan(plan, make_slots(mode, min(jobs, len(pending)), spec.base.gpu),
                           lambda line: print(line, flush=True), metric)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(outcome.counts.items()) if n)
    print(f"sweep {spec.name}: {counts}; index: {folder / INDEX_CSV}", flush=True)
    if metric and not outcome.interrupted:
        _print_best(plan, metric)
    return _status(outcome, plan)


def _shape(spec: SweepSpec) -> str:
    parts = [f"{len(v)} {k}" for k, v in spec.grid.items() if k != SEED_KEY]
    return " x ".join([*parts, f"{len(spec.seed_values())} seeds"])


def _print_best(plan: SweepPlan, metric: str) -> None:
    done = [p for p in plan.runs if p.status == FINISHED]
    try:
        choices = best_choices([p.run.config.to_dict() for p in done],
                               [p.final for p in done], metric)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    print(format_choices(choices, metric), flush=True)


def _status(outcome, plan: SweepPlan) -> int:
    from ..utils.signals import exit_status, last_received
    if outcome.interrupted:
        return exit_status(last_received())
    return 1 if any(p.status != FINISHED for p in plan.runs) else 0
