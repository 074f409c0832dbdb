"""The one typed configuration object.

Every option has a default, help text, a group (the paper's grouping), optional valid choices and a
check (declared in ``config_fields.py``). The command line (``cli.py``), the JSON files and the GUI
are all generated from / checked against :data:`OPTIONS`, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config_checks import cross_errors
from .config_fields import GROUPS, LR_SCHEDULES, OPTIMISERS, Options
from .errors import ConfigError, shown
from .utils.limits import limit_error

__all__ = ["GROUPS", "LR_SCHEDULES", "OPTIMISERS", "OPTIONS", "Config", "check_value",
           "canonical", "choices_of", "coerce", "primary_flag", "with_canonical_choices"]


@dataclass
class Config(Options):
    """All options of one simulation; ``Options`` declares the fields."""

    # ------------------------------------------------------------------ validation
    def field_errors(self) -> dict[str, str]:
        """Every invalid option mapped to its message (used by the GUI to flag fields)."""
        errors: dict[str, str] = {}
        for f in dataclasses.fields(self):
            msg = check_value(f.name, getattr(self, f.name))
            if msg:
                errors[f.name] = msg
        if not errors:
            errors.update(self._cross_errors())
        return errors

    def _cross_errors(self) -> dict[str, str]:
        return cross_errors(self)

    def validate(self) -> Config:
        """Raise one ConfigError for the first invalid option; return self when all is well."""
        errors = self.field_errors()
        if errors:
            raise ConfigError(next(iter(errors.values())))
        return self

    # ------------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Build from a dict of field names; unknown keys are an error listing the valid ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k not in known]
        if unknown:
            raise ConfigError(f"config: unknown option {unknown[0]!r}; valid: {', '.join(known)}")
        values = {k: coerce(k, v) for k, v in data.items()}
        return cls(**values)

    def save_json(self, path: str | Path) -> None:
        from .utils.atomic import atomic_write_bytes
        atomic_write_bytes(path, json.dumps(self.to_dict(), indent=2).encode())

    @classmethod
    def load_json(cls, path: str | Path) -> Config:
        from .utils.files import read_text
        text = read_text("--config", path)
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as e:
            raise ConfigError(f"--config: cannot read {str(path)!r}: not JSON "
                              f"({type(e).__name__}: {str(e)[:200]})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"--config: {str(path)!r} must hold a JSON object of options")
        return cls.from_dict(data)

    def to_argv(self) -> list[str]:
        """The command-line arguments that reproduce this config (non-default options only)."""
        argv: list[str] = []
        default = Config()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            flag = primary_flag(f)
            if isinstance(value, bool):
                argv.append(flag)
            else:
                argv += [flag, str(value)]
        return argv

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


OPTIONS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Config)}


def primary_flag(f: dataclasses.Field) -> str:
    """The first long flag of an option (the original tool's spelling)."""
    return next(fl for fl in f.metadata["flags"] if fl.startswith("--"))


def choices_of(name: str) -> list[str] | None:
    """Valid choices of option ``name`` (None when free-form)."""
    choices = OPTIONS[name].metadata["choices"]
    return choices() if callable(choices) else choices


def coerce(name: str, value: Any) -> Any:
    """Convert a JSON/GUI value to the option's type, or raise a ConfigError naming the option."""
    f = OPTIONS[name]
    kind = type(f.default)
    flag = primary_flag(f)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{flag}: invalid value {value!r}; expected true or false")
    try:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or \
                kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        converted = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{flag}: invalid value {value!r}; expected {kind.__name__}") from None
    if kind is float and not math.isfinite(converted):
        raise ConfigError(f"{flag}: invalid value {value!r}; expected a finite number")
    static = not callable(f.metadata["choices"])  # registry names: after plugins and outputs
    return canonical(name, converted) if kind is str and static else converted


def canonical(name: str, value: str) -> str:
    """``value`` as the choice it names (anything else is returned unchanged).

    That is the value itself, the choice equal up to letter case, or the choice an alias stands
    for (the original tool's spellings).
    """
    choices = choices_of(name)
    if choices is None or value in choices:
        return value
    aliases = OPTIONS[name].metadata["aliases"]
    folded = {c.lower(): c for c in choices}
    folded.update({a.lower(): c for a, c in aliases.items()})
    return folded.get(value.lower(), value)


def with_canonical_choices(config: Config) -> Config:
    """``config`` with every choice spelled as the choice it names (any case, aliases).

    The command line calls it once the plugins are loaded: registry names (algorithms, models,
    datasets, losses) are only known then, and reading them loads torch.
    """
    changes = {name: canonical(name, getattr(config, name)) for name, f in OPTIONS.items()
               if isinstance(f.default, str) and f.metadata["choices"] is not None}
    return config.replace(**{k: v for k, v in changes.items() if v != getattr(config, k)})


def check_value(name: str, value: Any) -> str | None:
    """The error message for ``value`` of option ``name`` (flag, value, valid choices), or None."""
    f = OPTIONS[name]
    flag = primary_flag(f)
    choices = choices_of(name)
    if choices is not None and value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" did you mean {close[0]!r}?" if close else ""
        return f"{flag}: invalid value {shown(value)};{hint} valid choices: {', '.join(choices)}"
    msg = limit_error(name, f.default, value)  # type, finite, 64-bit, seeds, threads, NUL
    if msg:
        return f"{flag}: invalid value {shown(value)}; {msg}"
    check = f.metadata["check"]
    msg = check(value) if check else None
    return f"{flag}: invalid value {shown(value)}; {msg}" if msg else None
