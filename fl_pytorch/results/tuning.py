"""The "tuned" comparison: for each method, the step size with the best final metric.

Used by ``run.sh sweep --best-by`` and ``results plot --best-by``; ``--where`` filters too.

Runs are grouped by the options that vary among them. The step sizes (``global_lr``,
``local_lr``) among those are tuned; the other varying options (algorithm, compressor...) make
the method; the seeds are averaged. A run's score is the metric in its last row (the last round
is always evaluated); a run whose value there is not finite (diverged) scores worst. Accuracies
are maximized, everything else minimized.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .legend import BOOKKEEPING

NOT_COMPUTED = BOOKKEEPING | {
    "gpu", "group_name", "comment", "hostname", "quiet", "wandb_key", "wandb_project_name",
    "tensorboard", "logfilter", "evaluate", "load_best", "do_not_save_eval_checkpoints",
    "store_client_state_in_cpu", "per_round_clean_torch_cache", "num_workers_train",
    "num_workers_test", "external_devices", "remote_messages"}
"""Options that do not change what a run computes (output, logging, devices, labels)."""
STEP_KEYS = ("global_lr", "local_lr")
SEED_KEYS = ("manual_runtime_seed", "manual_init_seed")
MAXIMIZED = ("top1_acc", "top5_acc")


def varying_keys(configs: Sequence[dict[str, Any]]) -> list[str]:
    """Options with more than one value among ``configs`` (seeds and bookkeeping left out)."""
    keys = list(dict.fromkeys(k for c in configs for k in c))
    skip = NOT_COMPUTED | set(SEED_KEYS)
    return [k for k in keys if k not in skip and len({repr(c.get(k)) for c in configs}) > 1]


def final_values(result: dict[str, Any]) -> dict[str, float]:
    """The last row's value of every metric (metrics not evaluated there left out)."""
    out = {}
    for name, values in result["metrics"].items():
        if len(values) and not math.isnan(float(values[-1])):
            out[name] = float(values[-1])
    return out


def maximized(metric: str) -> bool:
    """True for metrics where higher is better (accuracies)."""
    return metric.startswith(MAXIMIZED)


@dataclass(frozen=True)
class Choice:
    """The best step size of one method and how the step sizes compared."""

    method: dict[str, Any]
    tuned: dict[str, Any]
    mean: float
    std: float
    seeds: int
    members: list[int]
    candidates: list[tuple[dict[str, Any], float]]


def _text(values: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in values.items()) or "(all runs)"


def best_choices(configs: Sequence[dict[str, Any]], finals: Sequence[dict[str, float]],
                 metric: str) -> list[Choice]:
    """The best step size of each method among runs with ``configs`` and last-row ``finals``.

    Raises:
        ValueError: no step size varies, or ``metric`` is not recorded (lists the valid ones).
    """
    if not configs:
        raise ValueError("--best-by: no finished runs to compare")
    if not any(metric in f for f in finals):
        valid = sorted({m for f in finals for m in f})
        raise ValueError(f"--best-by: metric {metric!r} is not recorded in these runs; valid: "
                         f"{', '.join(valid)}")
    keys = varying_keys(configs)
    tuned_keys = [k for k in keys if k in STEP_KEYS]
    if not tuned_keys:
        raise ValueError(f"--best-by: the runs do not differ in a step size "
                         f"({', '.join(STEP_KEYS)}); nothing to tune")
    method_keys = [k for k in keys if k not in STEP_KEYS]
    sign = -1.0 if maximized(metric) else 1.0
    groups: dict[str, dict[str, list[int]]] = {}
    for i, config in enumerate(configs):
        method = _text({k: config.get(k) for k in method_keys})
        groups.setdefault(method, {}).setdefault(_text({k: config.get(k) for k in tuned_keys}),
                                                 []).append(i)
    choices = []
    for by_step in groups.values():
        scored = []
        for members in by_step.values():
            values = np.array([finals[i].get(metric, math.nan) for i in members])
            mean = float(values.mean()) if np.isfinite(values).all() else math.inf * sign
            scored.append((sign * mean, members, mean, float(values.std())))
        _, members, mean, std = min(scored, key=lambda s: s[0])
        first = configs[members[0]]
        choices.append(Choice({k: first.get(k) for k in method_keys},
                              {k: first.get(k) for k in tuned_keys}, mean, std, len(members),
                              members, [({k: configs[m[0]].get(k) for k in tuned_keys}, mn)
                                        for _, m, mn, _ in scored]))
    return choices


def format_choices(choices: Sequence[Choice], metric: str) -> str:
    """A table: one line per method with its best step size, mean +- std over seeds."""
    way = "higher" if maximized(metric) else "lower"
    lines = [f"best step size per method by the final {metric} ({way} is better), mean +- std "
             f"over seeds:"]
    for c in choices:
        others = ", ".join(f"{_text(t)}: {'diverged' if math.isinf(v) else f'{v:.4g}'}"
                           for t, v in c.candidates if t != c.tuned)
        value = "diverged" if math.isinf(c.mean) else f"{c.mean:.6g} +- {c.std:.2g}"
        lines.append(f"  {_text(c.method)}: {_text(c.tuned)}  {metric} = {value} "
                     f"({c.seeds} seed{'s' * (c.seeds > 1)})" + (f"  [{others}]" if others
                                                                 else ""))
    return "\n".join(lines)
