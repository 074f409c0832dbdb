"""Legend entries of plotted runs, and what sets runs apart (their options, their problem).

The automatic legend (``"auto"``) names each line by its algorithm plus the options whose values
tell the plotted lines apart, so three FedAvg runs with three step sizes read
``fedavg local_lr=0.1``, ``fedavg local_lr=0.05``... and never three identical entries.
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

AUTO = "auto"
"""Legend format that asks for the automatic legend."""

BARE_KEYS = ("algorithm", "client_compressor", "group_name")
"""Options shown by value alone in automatic legends (``fedavg randk:10%``)."""

BOOKKEEPING = frozenset({
    "run_id", "out", "comment", "logfile", "loglevel", "quiet", "checkpoint_dir",
    "checkpoint_every", "resume_from", "save_async_threads", "eval_async_threads",
    "threadpool_for_local_opt", "intra_op_threads", "data_path", "offline", "log_gpu_usage",
    "master_addr", "master_port", "remote_secret_file", "remote_timeout"})
"""Options that do not change the numbers: named in a legend only when nothing else differs."""

PROBLEM_KEYS = ("dataset", "dataset_generation_spec", "num_clients", "partition",
                "sort_dataset_by_class_before_split", "model", "loss", "global_regulizer",
                "global_regulizer_alpha", "client_weights")
"""Options that define the optimization problem (the objective being minimized)."""

_ABSENT = object()


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


def _shared(configs: list[dict[str, Any]]) -> dict[str, Any]:
    """The options on which all ``configs`` (the runs of one line) agree."""
    first, rest = configs[0], configs[1:]
    return {k: v for k, v in first.items() if all(c.get(k, _ABSENT) == v for c in rest)}


def _differing(lines: list[dict[str, Any]]) -> list[str]:
    """Options with more than one value among the lines, in config order."""
    keys = list(dict.fromkeys(k for line in lines for k in line))
    return [k for k in keys if len({repr(line[k]) for line in lines if k in line}) > 1]


def _describe(line: dict[str, Any], keys: list[str]) -> str:
    parts = []
    for key in keys:
        value = line.get(key, _ABSENT)
        if value is _ABSENT or (key in BARE_KEYS and value == ""):
            continue
        text = f"{value:g}" if isinstance(value, float) else str(value)
        parts.append(text if key in BARE_KEYS else f"{key}={text}")
    return " ".join(parts)


def _number_repeats(labels: list[str]) -> list[str]:
    """``["a", "a", "b"]`` -> ``["a #1", "a #2", "b"]``."""
    counts, seen = Counter(labels), Counter()
    out = []
    for text in labels:
        seen[text] += 1
        out.append(f"{text} #{seen[text]}" if counts[text] > 1 else text)
    return out


def _distinct_count(lines: list[dict[str, Any]], keys: list[str]) -> int:
    return len({_describe(line, keys) for line in lines})


def _add_splitting_keys(lines: list[dict[str, Any]], keys: list[str], pool: list[str]) -> None:
    """Append to ``keys`` the options of ``pool`` that tell more lines apart, best first."""
    while _distinct_count(lines, keys) < len(lines):
        now = _distinct_count(lines, keys)
        gains = [(_distinct_count(lines, [*keys, k]), -i, k) for i, k in enumerate(pool)
                 if k not in keys]
        best = max(gains, default=None)
        if best is None or best[0] == now:
            return
        keys.append(best[2])


def auto_labels(lines: list[list[dict[str, Any]]]) -> list[str]:
    """Distinct, short labels for lines (each a list of run configs).

    A label is the algorithm, the first option that defines the problem if the lines solve
    different problems (e.g. the dataset), plus the fewest other differing options that tell the
    lines apart, chosen greedily: the option that separates the most lines first; on a tie the
    compressor, then the other problem options, before the rest. The group name comes next, when
    the options cannot tell lines apart (a sweep's group names restate their options). Options
    that vary inside a line (a group of seeds) are left out of its label; options that do not
    change the numbers are used only when nothing else helps; lines still equal are numbered.
    """
    shared = [_shared(configs) for configs in lines]
    differing = [k for k in _differing(shared) if k != "algorithm"]
    first = [*BARE_KEYS, *PROBLEM_KEYS]  # on a tie: compressor, then the problem
    ordered = [*[k for k in first if k in differing], *[k for k in differing if k not in first]]
    keys = ["algorithm", *[k for k in PROBLEM_KEYS if k in differing][:1]]  # mixed problems
    options = [k for k in ordered if k not in BOOKKEEPING and k != "group_name"]
    _add_splitting_keys(shared, keys, options)
    _add_splitting_keys(shared, keys, ["group_name"])  # a sweep names groups by their options
    _add_splitting_keys(shared, keys, [k for k in ordered if k in BOOKKEEPING])
    return _number_repeats([_describe(line, keys) for line in shared])


def line_labels(lines: list[list[dict[str, Any]]], legend_format: str = AUTO) -> list[str]:
    """Legend entries of lines (lists of run configs); groups say ``(mean ± std, N runs)``.

    Raises:
        ValueError: a ``legend_format`` field is not a config key.
    """
    if legend_format.strip() in ("", AUTO):
        names = auto_labels(lines)
    else:
        names = [format_label(legend_format, configs[0]) for configs in lines]
    return [f"{name} (mean ± std, {len(configs)} runs)" if len(configs) > 1 else name
            for name, configs in zip(names, lines)]


def _problem(config: dict[str, Any]) -> dict[str, Any]:
    """The problem-defining options of a run, those that apply to its dataset."""
    synthetic = str(config.get("dataset", "")).startswith("generated_")
    skip = {"num_clients", "partition", "sort_dataset_by_class_before_split"} if synthetic \
        else {"dataset_generation_spec"}
    if config.get("global_regulizer") == "none":
        skip.add("global_regulizer_alpha")
    return {k: config[k] for k in PROBLEM_KEYS if k in config and k not in skip}


def problem_differences(configs: list[dict[str, Any]]) -> list[str]:
    """``["dataset: digits / generated_for_quadratic_minimization", ...]`` (empty: one problem)."""
    problems = [_problem(c) for c in configs]
    out = []
    for key in PROBLEM_KEYS:
        values = list(dict.fromkeys(str(p[key]) for p in problems if key in p))
        if len(values) > 1:
            out.append(f"{key}: {' / '.join(values)}")
    return out


def mixed_problems_warning(configs: list[dict[str, Any]]) -> str | None:
    """A one-line warning when the runs do not all minimize the same problem, else None."""
    differences = problem_differences(configs)
    if not differences:
        return None
    return f"runs of different problems are plotted together ({'; '.join(differences)})"
