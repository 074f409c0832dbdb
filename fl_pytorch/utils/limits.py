"""Limits every option's value must respect, whatever the option (checked by ``config.py``).

Derived from the option's type and name, so options added later are covered too: numbers must
be finite, integers must fit in 64 bits, seeds must be non-negative (NumPy and torch refuse
others), thread and worker counts are bounded, and text may not hold NUL characters (no file or
process name can) nor be absurdly long.
"""

from __future__ import annotations

import math
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
SEED_MAX = 2**63 - 1
MAX_THREADS = 1024
MAX_TEXT = 65536  # characters of a text option


def _is_count_of_threads(name: str) -> bool:
    return "thread" in name or "workers" in name


def int_range(name: str) -> tuple[int, int]:
    """The widest range an integer option ``name`` may take (its own check may narrow it)."""
    if "seed" in name:
        return 0, SEED_MAX
    if _is_count_of_threads(name):
        return INT64_MIN, MAX_THREADS
    return INT64_MIN, INT64_MAX


def type_error(default: Any, value: Any) -> str | None:
    """Why ``value`` does not have the type of the option whose default is ``default``."""
    kind = type(default)
    if kind is bool:
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(value, bool):
        return f"expected {kind.__name__}, not a boolean"
    if kind is float:
        return None if isinstance(value, (int, float)) else "expected a number"
    if not isinstance(value, kind):
        return f"expected {kind.__name__}"
    return None


def limit_error(name: str, default: Any, value: Any) -> str | None:
    """Why ``value`` of option ``name`` (with ``default``) is out of every sane range, or None."""
    bad_type = type_error(default, value)
    if bad_type:
        return bad_type
    if isinstance(value, float) and not math.isfinite(value):
        return "expected a finite number"
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = int_range(name)
        if _is_count_of_threads(name) and value > high:
            return f"at most {high} threads"
        if not low <= value <= high:
            return f"must be between {low} and {high}"
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character"
        if len(value) > MAX_TEXT:
            return f"is {len(value)} characters long (at most {MAX_TEXT})"
        if _is_count_of_threads(name) and value.strip().isdigit() \
                and int(value) > MAX_THREADS:
            return f"at most {MAX_THREADS} threads"
    return None
