"""Checks of single option values, and of options that only fail together, for ``config.py``.

A single-value check returns an error text (without the flag) or None; :func:`cross_errors`
returns ``{option: message}`` for values that are valid alone but not with another option, each
message naming both options.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ConfigError


def positive(v: float) -> str | None:
    return None if v > 0 else "must be > 0"


def non_negative(v: float) -> str | None:
    return None if v >= 0 else "must be >= 0"


def at_least_one(v: int) -> str | None:
    return None if v >= 1 else "must be an integer >= 1"


def probability_or_zero(v: float) -> str | None:
    return None if 0 <= v <= 1 else "must be a probability in [0, 1]"


def lazy(registry_path: str) -> Callable[[], list[str]]:
    """Choices read from a registry at validation time (avoids import cycles)."""
    def names() -> list[str]:
        from . import registries
        return getattr(registries, registry_path).names()
    return names


def split(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def _reason(error: ConfigError, sep: str = ": ") -> str:
    """The part of a ``--flag: invalid value 'x'; why`` message after ``sep``."""
    return str(error).split(sep, 1)[-1]


def check_compressor(spec: str) -> str | None:
    from .compressors import parse_compressor
    try:
        parse_compressor(spec)
    except ConfigError as e:
        return _reason(e)
    return None


def check_extra_track(value: str) -> str | None:
    from .core.metrics import EXTRA_METRICS
    bad = [m for m in split(value) if m not in EXTRA_METRICS]
    return f"unknown metric {bad[0]!r}; valid: {', '.join(EXTRA_METRICS)}" if bad else None


def metric_names() -> list[str]:
    from .core.metrics import HEADLINE_METRICS
    return list(HEADLINE_METRICS)


def check_partition(spec: str) -> str | None:
    from .data.partition import parse_partition
    try:
        parse_partition(spec)
    except ConfigError as e:
        return _reason(e, "; ")
    return None


def check_devices(value: str) -> str | None:
    from .utils.devices import parse_devices
    try:
        parse_devices(value)
    except ConfigError as e:  # "--gpu: invalid value 'x'; why": keep the why
        return _reason(e, "; ")
    return None


def check_threads(value: str | int) -> str | None:
    ok = str(value) in ("auto", "vectorized") or str(value).isdigit()
    return None if ok else "valid: auto, vectorized or an integer >= 0 (0 = sequential)"


def check_external_devices(value: str) -> str | None:
    from .utils.addresses import parse_external_devices
    try:
        parse_external_devices(value)
    except ConfigError as e:
        return _reason(e, "; ")
    return None


def check_master_addr(value: str) -> str | None:
    if value and value not in ("0.0.0.0", "::"):
        return None
    return "give an address of this machine that the workers can reach (e.g. 10.0.0.1)"


def check_port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "valid: 0 (any free port) .. 65535"


def check_resume(value: str) -> str | None:
    return None if not value or Path(value).is_file() else "no such checkpoint file"


def check_regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as e:
        return f"not a regular expression ({e})"
    return None


def cross_errors(config: Any) -> dict[str, str]:
    """Values that are valid alone but not together (each message names both options)."""
    from .core.algorithm_options import AlgorithmOptionsError, parse_algorithm_options
    from .registries import ALGORITHMS
    try:
        parse_algorithm_options(ALGORITHMS.get(config.algorithm), config.algorithm_options)
    except AlgorithmOptionsError as e:
        return {"algorithm_options": str(e)}
    errors: dict[str, str] = {}
    if config.client_sampling_type.startswith("poisson") and config.client_sampling_poisson == 0:
        errors["client_sampling_poisson"] = (
            f"--client-sampling-poisson: invalid value 0.0 with --client-sampling-type "
            f"{config.client_sampling_type}: no client could ever take part (valid: 0 < p <= 1)")
    if config.evaluate and not config.resume_from:
        errors["evaluate"] = ("--evaluate: evaluates the model of a checkpoint without training; "
                              "it needs --resume-from CHECKPOINT (write one with "
                              "--checkpoint-every N)")
    if config.round_deadline and config.external_devices:
        errors["round_deadline"] = (
            f"--round-deadline: invalid value {config.round_deadline!r} with --external-devices: "
            "remote workers keep their clients' states, and a late client's update cannot be "
            "withdrawn there; valid value: 0, or run the clients locally")
    return errors
