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


def worker_commands(config: Config, program: str = "./run.sh") -> list[str]:
    """The commands that start the remote workers of ``config`` (one per worker), as comments.

    Each worker listens on the address and port of its ``--external-devices`` entries and
    reads the same secret as the master (the file named by ``--remote-secret-file``, copied to
    that machine, or ``$FL_PYTORCH_SECRET``).
    """
    from .utils.addresses import parse_external_devices
    secret = f" --secret-file {shlex.quote(config.remote_secret_file)}" \
        if config.remote_secret_file else ""
    return [f"# on {w.host}: {program} worker --host {w.host} --port {w.port}{secret}"
            + ("" if secret else "   # with FL_PYTORCH_SECRET set as for the master")
            for w in parse_external_devices(config.external_devices)]
