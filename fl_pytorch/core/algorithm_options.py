"""``--algorithm-options key:value,key,...``: common keys plus each algorithm's own keys."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from .batches import ESTIMATORS, RESHUFFLES


class AlgorithmOptionsError(ConfigError):
    """A bad ``--algorithm-options`` entry."""


@dataclass(frozen=True)
class AlgoOption:
    """One key: how to parse its text, its default, and its help."""

    parse: Callable[[str], Any]
    default: Any
    help: str


def _estimator(v: str) -> str:
    if v not in ESTIMATORS:
        raise ValueError(f"valid: {', '.join(ESTIMATORS)}")
    return v


def _reshuffle(v: str) -> str:
    if v not in RESHUFFLES:
        raise ValueError(f"valid: {', '.join(RESHUFFLES)}")
    return v


def _positive_float(v: str) -> float:
    value = float(v)
    if not value > 0:
        raise ValueError("expected a number > 0")
    return value


def _count_or_percent(v: str) -> str:
    body = v[:-1] if v.endswith("%") else v
    number = float(body)
    if not math.isfinite(number) or number <= 0 or (v.endswith("%") and number > 100) or \
            (not v.endswith("%") and not number.is_integer()):
        raise ValueError("expected a positive integer or a percentage in (0%, 100%]")
    return v


def fraction(name: str) -> Callable[[str], float]:
    """A parser of values in (0, 1] (probabilities, shift rates), naming ``name`` in errors."""
    def parse(v: str) -> float:
        value = float(v)
        if not 0 < value <= 1:
            raise ValueError(f"{name} must be in (0, 1]")
        return value
    return parse


def positive(name: str) -> Callable[[str], float]:
    """A parser of finite values > 0 (multipliers, coefficients), naming ``name`` in errors."""
    def parse(v: str) -> float:
        value = float(v)
        if not 0 < value < float("inf"):
            raise ValueError(f"{name} must be a finite number > 0")
        return value
    return parse


def flag(v: str) -> bool:
    """Keys given without a value mean True; 0/1/true/false are accepted too."""
    if v.lower() in ("", "1", "true", "yes"):
        return True
    if v.lower() in ("0", "false", "no"):
        return False
    raise ValueError("expected a flag (no value, 1/0 or true/false)")


COMMON_OPTIONS = {
    "internal_sgd": AlgoOption(_estimator, "sgd",
                               "gradient estimator inside local steps: full-gradient (all local "
                               "samples), sgd (minibatches of -b samples), sgd-nice (tau samples "
                               "without replacement), sgd-us (one uniform sample), sgd-multi (tau "
                               "samples with replacement), iterated-minibatch (blocks of tau of a "
                               "permutation, see reshuffle); docs/compatibility.md"),
    "tau": AlgoOption(_count_or_percent, "10%", "minibatch of sgd-nice, sgd-multi, "
                      "iterated-minibatch (and steps per epoch, ceil(n/tau), of sgd-us): a count "
                      "or P% of the client's n samples (ceil(P/100 n))"),
    "reshuffle": AlgoOption(_reshuffle, "each_round", "permutation of iterated-minibatch: "
                            "each_round, once_per_client (one per client for the whole run), "
                            "until_exhausted (continued across rounds)"),
    "x0_norm": AlgoOption(_positive_float, None, "rescale the initial point x0 to this "
                          "Euclidean norm (the original's x0_norm)"),
}
#: the original tool's spelling of a key -> this tool's key (used when the algorithm has the key)
KEY_ALIASES = {"lambda_": "lambda"}
#: keys of every algorithm whose record has a ``step_size`` (docs/algorithms.md)
THEORY_OPTIONS = {
    "th_stepsize_cvx": AlgoOption(flag, False, "use the paper's step size for (strongly) convex "
                                  "or PL problems instead of --global-lr"),
    "th_stepsize_noncvx": AlgoOption(flag, False, "use the paper's step size for non-convex "
                                     "problems instead of --global-lr"),
}


def option_spec(algorithm: Any) -> dict[str, AlgoOption]:
    """Every key ``algorithm`` accepts: common, theoretical step size (if any), its own."""
    theory = THEORY_OPTIONS if getattr(algorithm, "step_size", None) else {}
    return {**COMMON_OPTIONS, **theory, **algorithm.options}


def _finite(value: Any) -> Any:
    """``value``, unless it is a float that is not finite (inf, nan: always nonsense here)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def parse_algorithm_options(algorithm: Any, text: str) -> dict[str, Any]:
    """Parse ``text`` for ``algorithm`` (which has an ``options`` dict) into a dict of values."""
    spec = option_spec(algorithm)
    values = {k: o.default for k, o in spec.items()}
    for part in (p.strip() for p in str(text).split(",") if p.strip()):
        key, _, raw = part.partition(":")
        key = key.strip()
        if key not in spec and KEY_ALIASES.get(key) in spec:
            key = KEY_ALIASES[key]
        if key not in spec:
            raise AlgorithmOptionsError(
                f"--algorithm-options: unknown key {key!r} for algorithm {algorithm.name!r}; "
                f"valid keys: {', '.join(spec)}")
        try:
            values[key] = _finite(spec[key].parse(raw.strip()))
        except (ValueError, OverflowError) as e:
            raise AlgorithmOptionsError(
                f"--algorithm-options: invalid value {raw!r} for key {key!r}; {e}") from None
    return values


def describe_options(algorithm: Any) -> str:
    """Help text listing every key of ``algorithm`` with its default."""
    spec = option_spec(algorithm)
    return "\n".join(f"  {k} (default {o.default!r}): {o.help}" for k, o in spec.items())
