"""Bad values for every option, generated from the config metadata (``config.OPTIONS``).

Nothing here names an option: an option added to ``config.py`` gets its cases the moment it
exists. From each option's type: non-numbers, non-finite and overflowing numbers, integers
beyond 64 bits, text with a NUL character or absurdly long, and (in a JSON configuration) values
of the wrong JSON type. From its choices: a name that is not one. From its own check: the
candidates (negative, zero, spec-like junk) that the check itself refuses.
"""

from __future__ import annotations

import json
from pathlib import Path

from fl_pytorch.config import OPTIONS, check_value, choices_of, primary_flag

INT_JUNK = ["abc", "1.5", "", "nan", "inf", "0x10", str(2**70), str(-(2**70)), "2**70"]
FLOAT_JUNK = ["abc", "", "inf", "-inf", "nan", "1e400", "-1e400", "1,5"]
TEXT_JUNK = ["a\x00b", "x" * 70_000]
SPEC_JUNK = ["::", "x:y:z", "-5", "inf", "nan", "1e400", "%", "0", "-1", "k:inf", "k:nan",
             ",,,:", "ident:", "randk:0", "randk:inf", "topk:nan%", "natural:1", "qsgd:-1",
             "shards:0", "dirichlet:0", "dirichlet:inf", "dirichlet:nan", "auto5",
             "host:port:cpu", "127.0.0.1:0:cpu", "127.0.0.1:99999:cpu", "h:1:gpu7",
             "mu_prox:inf", "internal_sgd:nope", "tau:nan%", "tau:0"]
NUMBER_PROBES = {int: [-1, 0], float: [-1.0, 0.0, 1.5, 2.0]}
JSON_WRONG_TYPES = [[1], {"a": 1}]


def _refused_by_check(name: str, candidates: list) -> list:
    """The candidates that the option's own validation refuses (its range, its spec)."""
    return [v for v in candidates if check_value(name, v) is not None]


def command_line_values(name: str) -> list[str]:
    """Texts that ``--flag=TEXT`` must refuse, for option ``name``."""
    f = OPTIONS[name]
    kind = type(f.default)
    if kind is bool:
        return []
    choices = choices_of(name)
    if kind is int:
        values = INT_JUNK + [str(v) for v in _refused_by_check(name, NUMBER_PROBES[int])]
    elif kind is float:
        values = FLOAT_JUNK + [repr(v) for v in _refused_by_check(name, NUMBER_PROBES[float])]
    elif choices is not None:
        values = TEXT_JUNK + ["no_such_choice_xyz"]
    else:
        values = TEXT_JUNK + _refused_by_check(name, SPEC_JUNK)
    return list(dict.fromkeys(values))


def option_cases() -> dict[str, list[str]]:
    """``case id -> extra command-line arguments`` for every option and bad value."""
    cases = {}
    for name, f in OPTIONS.items():
        flag = primary_flag(f)
        for value in command_line_values(name):
            shown = value if len(value) < 30 else f"{value[:10]}...({len(value)} chars)"
            cases[f"{flag}={shown!r}"] = [f"{flag}={value}"]
    return cases


def json_type_cases() -> dict[str, object]:
    """``case id -> JSON configuration`` with one option of a wrong JSON type."""
    cases: dict[str, object] = {}
    for name, f in OPTIONS.items():
        bad = ["maybe", 1] if isinstance(f.default, bool) else JSON_WRONG_TYPES
        for value in bad:
            cases[f"config {name}={json.dumps(value)}"] = {name: value}
    return cases


def write_json(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content))
    return path
