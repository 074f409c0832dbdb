"""Reading small input files (configurations, secrets) without surprises.

A path must name a regular file (not a folder, a FIFO that blocks, ``/dev/zero`` that never ends),
no larger than a bound, readable, and (for text) UTF-8. Anything else is one ConfigError naming
the option and the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import describe_os_error, file_error

MAX_TEXT_FILE = 16 * 1024 * 1024  # bytes


def regular_file_size(option: str, path: str | Path) -> int:
    """The size of the regular file ``path``; a ConfigError when it is anything else."""
    try:
        info = os.stat(path)
    except OSError as e:
        raise file_error(option, path, describe_os_error(e)) from None
    except ValueError as e:  # an embedded NUL byte
        raise file_error(option, path, str(e)) from None
    if stat.S_ISDIR(info.st_mode):
        raise file_error(option, path, "it is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise file_error(option, path, "not a regular file")
    return info.st_size


def read_bytes(option: str, path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (``/proc`` files included)."""
    size = regular_file_size(option, path)
    if size > max_bytes:
        raise file_error(option, path, f"{size} bytes; at most {max_bytes} expected")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise file_error(option, path, describe_os_error(e)) from None
    if len(data) > max_bytes:
        raise file_error(option, path, f"more than {max_bytes} bytes")
    return data


def read_text(option: str, path: str | Path, max_bytes: int = MAX_TEXT_FILE) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes``."""
    data = read_bytes(option, path, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise file_error(option, path, f"not UTF-8 text (byte {e.start})") from None
