"""Qt-free model of the configuration form: labels, visibility rules and parsing of field text.

A field's text is parsed exactly as the same text after the option's flag on the command line
(through the CLI's own parser), and the whole form is checked with ``Config.field_errors()``, so
every message the form shows is the one ``run.sh`` would print.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fl_pytorch import Config, ConfigError
from fl_pytorch.cli import build_parser
from fl_pytorch.config import GROUPS, OPTIONS, check_value, primary_flag
from fl_pytorch.sweep import make_spec, split_values

MOMENTUM_OPTIMISERS = ("sgd", "momentum", "rmsprop")
"""Optimizers that take ``--global-momentum`` / ``--local-momentum``."""

SYNTHETIC_PREFIX = "generated_"
"""Datasets whose name starts with this are generated from ``--dataset-generation-spec``."""


def _synthetic(dataset: Any) -> bool:
    return str(dataset).startswith(SYNTHETIC_PREFIX)


@dataclass(frozen=True)
class Rule:
    """Option ``name`` applies only when ``predicate(form values)`` holds."""

    name: str
    depends_on: str
    predicate: Callable[[Any], bool]


RULES = (
    Rule("num_clients_per_round", "client_sampling_type", lambda v: v == "uniform"),
    Rule("client_sampling_poisson", "client_sampling_type",
         lambda v: v in ("poisson", "poisson-no-empty")),
    Rule("global_momentum", "global_optimiser", lambda v: v in MOMENTUM_OPTIMISERS),
    Rule("local_momentum", "local_optimiser", lambda v: v in MOMENTUM_OPTIMISERS),
    Rule("global_regulizer_alpha", "global_regulizer", lambda v: v != "none"),
    Rule("dataset_generation_spec", "dataset", _synthetic),
    *(Rule(name, "dataset", lambda v: not _synthetic(v))
      for name in ("data_path", "num_clients", "partition", "sort_dataset_by_class_before_split")),
    *(Rule(name, "external_devices", lambda v: bool(str(v or "").strip()))
      for name in ("master_addr", "master_port", "remote_secret_file", "remote_timeout",
                   "remote_messages")),
)
"""Which options are shown only for some values of another (e.g. Poisson p for poisson sampling)."""


def applies(name: str, values: dict[str, Any]) -> bool:
    """Whether option ``name`` matters for the current form ``values`` (raw or parsed)."""
    return all(rule.predicate(values.get(rule.depends_on)) for rule in RULES if rule.name == name)


_WORDS = {"lr": "LR", "gpu": "GPU", "id": "ID", "num": "number of",
          "regulizer": "regularizer", "optimiser": "optimizer"}


_LABELS = {"turn_off_batch_normalization_and_dropout": "No batch norm / dropout",
           "sort_dataset_by_class_before_split": "Sort by class before split",
           "client_sampling_poisson": "Poisson p", "threadpool_for_local_opt": "Thread pool size",
           "external_devices": "Remote workers"}


def field_label(name: str) -> str:
    """Human label of an option: ``num_clients_per_round`` -> ``Number of clients per round``."""
    if name in _LABELS:
        return _LABELS[name]
    text = " ".join(_WORDS.get(w, w) for w in name.split("_"))
    return text[0].upper() + text[1:]


def field_help(name: str) -> str:
    """Tool tip of an option: its flags and its ``--help`` text."""
    meta = OPTIONS[name].metadata
    return f"{', '.join(meta['flags'])}\n{meta['help'].replace('%%', '%')}"


def is_bool(name: str) -> bool:
    """True for on/off options (check boxes)."""
    return isinstance(OPTIONS[name].default, bool)


def is_seed(name: str) -> bool:
    """True for random seeds (they get a "generate" button)."""
    return name.endswith("_seed")


def options_by_group() -> dict[str, list[str]]:
    """Option names of each group of :data:`GROUPS`, in ``--help`` order."""
    grouped: dict[str, list[str]] = {key: [] for key in GROUPS}
    for name, f in OPTIONS.items():
        grouped[f.metadata["group"]].append(name)
    return grouped


@lru_cache(maxsize=1)
def _parser() -> argparse.ArgumentParser:
    return build_parser()


def parse_field(name: str, text: str) -> Any:
    """Parse ``text`` exactly as ``run.sh FLAG=text`` would.

    Raises:
        ConfigError: the command line's message (e.g. ``argument --rounds: invalid int value``).
    """
    namespace = _parser().parse_args([f"{primary_flag(OPTIONS[name])}={text}"])
    return getattr(namespace, name)


def build_config(raw: dict[str, Any]) -> tuple[Config | None, dict[str, str]]:
    """Turn form values (text, or bool for check boxes) into a Config and per-field errors.

    Each field is parsed and range-checked on its own, so a range error shows even while another
    field does not parse; checks across fields (``Config.field_errors``) run once all parse.

    Returns:
        (config, {}) when every field is valid, else (None, {option: message}).
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in raw.items():
        if is_bool(name):
            values[name] = bool(value)
            continue
        try:
            values[name] = parse_field(name, value)
        except ConfigError as e:
            errors[name] = str(e)
            continue
        message = check_value(name, values[name])  # ranges too, whatever the other fields hold
        if message:
            errors[name] = message
    if errors:
        return None, errors
    config = Config(**values)
    errors = config.field_errors()
    return (None, errors) if errors else (config, {})


def sweep_lists(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The fields written as lists, and the form with each of them at its first value.

    A field ``[V1, V2, ...]`` sweeps over the values (``;`` separates values that hold commas).
    """
    plain, lists = dict(raw), {}
    for name, value in raw.items():
        text = value.strip() if isinstance(value, str) else ""
        if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
            lists[name] = split_values(text[1:-1])
            plain[name] = lists[name][0] if lists[name] else ""
    return plain, lists


def build_sweep(raw: dict[str, Any]) -> tuple[Config | None, dict[str, list[Any]],
                                               dict[str, str]]:
    """Form values, some maybe lists, as (base Config, grid of swept values, per-field errors).

    Every value of a list is parsed and checked like a field of its own, and every combination
    of the grid is validated (an invalid one is reported on the first swept field).
    """
    plain, lists = sweep_lists(raw)
    errors: dict[str, str] = {}
    grid: dict[str, list[Any]] = {}
    for name, texts in lists.items():
        if len(texts) < 2:
            errors[name] = f"{primary_flag(OPTIONS[name])}: a sweep needs two or more values, " \
                           "e.g. [0.1, 0.5]"
            continue
        try:
            grid[name] = [parse_field(name, text) for text in texts]
        except ConfigError as e:
            errors[name] = str(e)
            continue
        bad = next(filter(None, (check_value(name, v) for v in grid[name])), None)
        if bad:
            errors[name] = bad
    config, more = build_config(plain)
    errors.update({k: v for k, v in more.items() if k not in errors})
    if errors:
        return None, {}, errors
    try:
        make_spec("form", config, grid, 1, "sweep").runs()
    except ConfigError as e:
        return None, {}, {next(iter(grid)): str(e)}
    return config, grid, {}


def config_values(config: Config) -> dict[str, Any]:
    """The form values (text, or bool) that show ``config``."""
    return {f.name: getattr(config, f.name) if is_bool(f.name) else str(getattr(config, f.name))
            for f in dataclasses.fields(config)}
