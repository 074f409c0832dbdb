"""The shell command line that reproduces a configuration (what "Show command line" shows)."""

from __future__ import annotations

import shlex

from .config import Config


def command_line(config: Config, program: str = "./run.sh", multiline: bool = False) -> str:
    """``./run.sh --flag value ...`` with shell quoting; one option per line if ``multiline``."""
    argv = config.to_argv()
    parts: list[str] = []
    for token in argv:
        if token.startswith("-") and not _is_number(token):
            parts.append(token)
        else:
            parts[-1] += " " + shlex.quote(token)
    if multiline:
        return " \\\n    ".join([program, *parts])
    return " ".join([program, *parts])


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False
