"""What a sweep is: a base configuration, a grid of option values and a number of seeds.

A sweep file is a JSON object::

    {"name": "lr-grid",                                  (optional; default: the file's name)
     "base": {"dataset": "digits", "rounds": 50},        (optional options of every run)
     "grid": {"algorithm": ["fedavg", "scaffold"], "global_lr": [0.1, 0.5, 1.0]},
     "seeds": 3}                                         (optional; default 1)

The command line gives the same with ``--sweep KEY=V1,V2,...`` (``;`` separates values that
contain commas) and ``--seeds N``. Keys are option names (``global_lr``) or their flags
(``--global-lr``, ``global-lr``). ``seeds: N`` runs every configuration with the runtime seeds
``S, S+1, ..., S+N-1`` (S: the base's ``--manual-runtime-seed``): client sampling, minibatches
and compressors change, the problem and x0 do not. Every key and value is checked (with the
messages of the command line) and every run's configuration validated before any run starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import OPTIONS, Config, check_value, coerce
from ..errors import ConfigError, shown

SEED_KEY = "manual_runtime_seed"
FILE_KEYS = ("name", "base", "grid", "seeds")
MAX_RUNS = 100_000


def _flag_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for name, f in OPTIONS.items():
        names[name] = name
        for flag in f.metadata["flags"]:
            bare = flag.lstrip("-")
            names[flag], names[bare], names[bare.replace("-", "_")] = name, name, name
    return names


def option_name(key: object, source: str) -> str:
    """The option ``key`` names (a field name or a flag), or a ConfigError listing valid ones."""
    names = _flag_names()
    if isinstance(key, str) and key.strip() in names:
        return names[key.strip()]
    close = difflib.get_close_matches(str(key), list(OPTIONS), n=1)
    hint = f" did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{source}: unknown option {shown(key)};{hint} valid options: "
                      f"{', '.join(OPTIONS)}")


def checked_value(name: str, value: Any, source: str) -> Any:
    """``value`` converted to option ``name``'s type and checked (message: flag, value, why)."""
    if isinstance(OPTIONS[name].default, bool) and isinstance(value, str) and \
            value.strip().lower() in ("true", "false"):
        value = value.strip().lower() == "true"  # the command line's spelling of a switch
    try:
        converted = coerce(name, value)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    message = check_value(name, converted)
    if message:
        raise ConfigError(f"{source}: {message}")
    return converted


def split_values(text: str) -> list[str]:
    """``"a,b,c"`` -> ``[a, b, c]``; with a ``;`` anywhere, ``;`` separates instead."""
    separator = ";" if ";" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: its swept values (seed included) and its full configuration."""

    index: int
    values: dict[str, Any]
    config: Config

    @property
    def label(self) -> str:
        """The swept values without the seed: ``algorithm=fedavg global_lr=0.1``."""
        return " ".join(f"{k}={_text(v)}" for k, v in self.values.items() if k != SEED_KEY)

    @property
    def seed(self) -> int:
        return self.config.manual_runtime_seed


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class SweepSpec:
    """A base configuration, the grid of swept option values, and the seeds of each point."""

    name: str
    base: Config
    grid: dict[str, list[Any]]
    seeds: int = 1

    def seed_values(self) -> list[int]:
        """The runtime seeds of every configuration."""
        if SEED_KEY in self.grid:
            return list(self.grid[SEED_KEY])
        return [self.base.manual_runtime_seed + k for k in range(self.seeds)]

    def runs(self) -> list[SweepRun]:
        """Every run, the seed varying fastest; each configuration is validated.

        Raises:
            ConfigError: a combination that is invalid (names the run's values).
        """
        keys = [k for k in self.grid if k != SEED_KEY]
        runs: list[SweepRun] = []
        for combo in itertools.product(*(self.grid[k] for k in keys)):
            for seed in self.seed_values():
                values = {**dict(zip(keys, combo)), SEED_KEY: seed}
                label = SweepRun(0, values, self.base).label
                config = dataclasses.replace(self.base, **values, quiet=True,
                                             group_name=f"{self.name} {label}".strip())
                errors = config.field_errors()
                if errors:
                    raise ConfigError(f"sweep {self.name!r}, run {label} seed={seed}: "
                                      f"{next(iter(errors.values()))}")
                runs.append(SweepRun(len(runs), values, config))
        return runs

    def count(self) -> int:
        """Number of runs."""
        count = len(self.seed_values())
        for key, values in self.grid.items():
            count *= len(values) if key != SEED_KEY else 1
        return count


def make_spec(name: str, base: Config, grid: dict[Any, Any], seeds: Any, source: str
              ) -> SweepSpec:
    """A checked SweepSpec: known keys, values of the right type within their limits.

    Raises:
        ConfigError: naming ``source``, the key, the value and the valid choices.
    """
    checked: dict[str, list[Any]] = {}
    for key, values in grid.items():
        name_ = option_name(key, source)
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{source}: {name_}: expected a non-empty list of values, got "
                              f"{shown(values)}")
        if name_ in checked:
            raise ConfigError(f"{source}: {name_} is swept twice")
        checked[name_] = [checked_value(name_, v, source) for v in values]
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= 10_000:
        raise ConfigError(f"{source}: seeds: invalid value {shown(seeds)}; expected an integer "
                          "in 1..10000")
    if SEED_KEY in checked and seeds > 1:
        raise ConfigError(f"{source}: seeds {seeds} and a list of {SEED_KEY} values: give one "
                          "or the other")
    spec = SweepSpec(name, base, checked, seeds)
    if spec.count() > MAX_RUNS:
        raise ConfigError(f"{source}: {spec.count()} runs; a sweep has at most {MAX_RUNS}")
    return spec


def _object(data: Any, key: str, source: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {key!r} must be a JSON object, got {shown(value)}")
    return value


def load_sweep_file(path: str | Path, overrides: dict[str, Any] | None = None) -> SweepSpec:
    """The sweep of a JSON file; ``overrides`` (options given as flags) replace its base.

    Raises:
        ConfigError: unreadable file, not a JSON object, unknown key, bad value.
    """
    from ..utils.files import read_text
    source = f"sweep file {str(path)!r}"
    try:
        data = json.loads(read_text("sweep", path))
    except (ValueError, RecursionError) as e:
        raise ConfigError(f"{source}: not JSON ({type(e).__name__}: {str(e)[:200]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must hold a JSON object with keys {', '.join(FILE_KEYS)}")
    unknown = [k for k in data if k not in FILE_KEYS]
    if unknown:
        raise ConfigError(f"{source}: unknown key {shown(unknown[0])}; valid keys: "
                          f"{', '.join(FILE_KEYS)}")
    base = {option_name(k, source): v for k, v in _object(data, "base", source).items()}
    values = {k: checked_value(k, v, source) for k, v in base.items()}
    config = dataclasses.replace(Config(**values), **(overrides or {}))
    name = data.get("name", Path(path).stem)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{source}: name: invalid value {shown(name)}; expected a text")
    return make_spec(name.strip(), config, _object(data, "grid", source), data.get("seeds", 1),
                     source)


def parse_sweep_flags(items: list[str]) -> dict[str, list[str]]:
    """``["algorithm=fedavg,scaffold", ...]`` -> ``{"algorithm": ["fedavg", "scaffold"]}``.

    Raises:
        ConfigError: an item without ``=`` or without values.
    """
    grid: dict[str, list[str]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        values = split_values(text)
        if not sep or not key.strip() or not values:
            raise ConfigError(f"--sweep: invalid value {shown(item)}; expected KEY=V1,V2,... "
                              "(e.g. global_lr=0.1,0.5,1)")
        grid[key.strip()] = values
    return grid
