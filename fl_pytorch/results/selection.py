"""Which runs a ``results`` command reads: folders, sweep folders, ``--where`` and ``--best-by``.

A folder holding a sweep's ``index.json`` stands for the sweep's runs (those whose file exists),
in the sweep's order; another folder for the result files in it. ``--where KEY=VALUE`` keeps
runs whose option has that value (read as the command line reads it); ``--best-by METRIC``
keeps, for each method, the runs of its best step size (``tuning.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .tuning import best_choices, final_values

RESULT_SUFFIXES = (".bin", ".pkl", ".pickle")
"""File names that a folder contributes."""
INDEX_JSON, INDEX_CSV = "index.json", "index.csv"
INDEX_FORMAT = "fl_pytorch-sweep"


def read_index(folder: str | Path) -> dict[str, Any] | None:
    """The index of the sweep in ``folder`` (None when there is none).

    Raises:
        ValueError: an ``index.json`` that is not a sweep index.
    """
    path = Path(folder) / INDEX_JSON
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ValueError(f"{path}: not a sweep index ({type(e).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT or \
            not isinstance(data.get("runs"), list) or \
            not all(isinstance(r, dict) and isinstance(r.get("file"), str) for r in data["runs"]):
        raise ValueError(f"{path}: not a sweep index (format {INDEX_FORMAT!r})")
    return data


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Result files of ``paths``: files as given, folders (and sweep folders) expanded."""
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            files.append(p)
            continue
        index = read_index(p)
        if index is not None:
            files.extend(f for f in (p / Path(r["file"]).name for r in index["runs"])
                         if f.is_file())
        else:
            files.extend(sorted(f for f in p.iterdir()
                                if f.is_file() and f.suffix.lower() in RESULT_SUFFIXES))
    return files


def _matches(value: Any, text: str) -> bool:
    """Whether an option's ``value`` is the one ``text`` writes (numbers compared as numbers)."""
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(text) == value
        except ValueError:
            return False
    return str(value) == text or str(value).lower() == text.lower()


def select_where(results: list[dict], where: Sequence[str]) -> list[dict]:
    """The results whose options match every ``OPTION=VALUE`` of ``where``.

    Raises:
        ValueError: a malformed item, or an option no result has (naming the valid ones).
    """
    for item in where:
        key, sep, text = item.partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        known = sorted({k for r in results for k in r["config"]})
        if not sep or key not in known:
            raise ValueError(f"--where: invalid value {item!r}; expected OPTION=VALUE with an "
                             f"option of: {', '.join(known)}")
        results = [r for r in results if _matches(r["config"].get(key), text.strip())]
    return results


def select_best(results: list[dict], metric: str) -> list[dict]:
    """Finished runs of the best step size of each method by ``metric`` (see ``tuning.py``).

    Raises:
        ValueError: no step size varies, or the metric is not recorded.
    """
    done = [r for r in results if r["status"] == "finished"]
    choices = best_choices([r["config"] for r in done], [final_values(r) for r in done], metric)
    return [done[i] for c in choices for i in c.members]
