"""Output locations checked before any work, and stale temporary files cleaned up.

Result files, checkpoints, logs and saved configurations are written atomically: a temporary
``.NAME.XXXX.tmp`` file in the target's folder, then a rename. :func:`check_output_file`
proves up front that this will work: the target is not a folder, its folder exists (or can be
created) and a temporary file can really be created there (what ``/proc``, read-only file
systems, full disks or a path under a regular file refuse). A process killed in the middle of a
write leaves its temporary file behind; :func:`remove_stale_temps` deletes those of one target.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from ..errors import describe_os_error, file_error


def _existing_ancestor(folder: Path) -> Path:
    """The nearest folder at or above ``folder`` that exists (``folder`` itself if it does)."""
    current = folder
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_output_folder(option: str, folder: str | Path, shown: str | Path | None = None
                        ) -> Path:
    """Make sure files can be created in ``folder`` (created later if missing).

    ``shown`` is the path the message names (the file to be written; default ``folder``).

    Raises:
        ConfigError: ``option`` names a path under a regular file, a folder where files cannot
            be created (read-only, ``/proc``, no permission), or anything but a folder.
    """
    folder = Path(folder)
    shown = folder if shown is None else shown
    try:
        base = _existing_ancestor(folder.absolute())
    except (OSError, ValueError) as e:
        raise file_error(option, shown, str(e)) from None
    if not base.is_dir():
        what = "it is a file" if base == Path(shown).absolute() else f"{base} is a file"
        raise file_error(option, shown, f"{what}, not a folder")
    try:  # the real test: create (and remove) a temporary file where the files will go
        fd, probe = tempfile.mkstemp(prefix=".fl_pytorch-probe.", suffix=".tmp", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise file_error(option, shown, f"cannot create files in {base} "
                         f"({describe_os_error(e)})") from None
    return folder


def check_output_file(option: str, path: str | Path) -> Path:
    """Make sure ``path`` can be written atomically (see the module docstring)."""
    path = Path(path)
    if not path.name or str(path).endswith(os.sep):
        raise file_error(option, path, "a file name is needed, not a folder")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as e:  # a name too long, a NUL byte, a path under a file...
        if not isinstance(e, NotADirectoryError):
            raise file_error(option, path, describe_os_error(e) if isinstance(e, OSError)
                             else str(e)) from None
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise file_error(option, path, "it is a folder; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise file_error(option, path, "it exists and is not a regular file")
    check_output_folder(option, path.parent, path)
    return path


def temp_pattern(path: Path) -> re.Pattern[str]:
    """The names of the temporary files an atomic write of ``path`` creates."""
    return re.compile(re.escape(f".{path.name}.") + r"[A-Za-z0-9_]{8}\.tmp")


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete temporary files of ``path`` left by a killed write; return what was removed.

    Only names that the atomic writer of this very target creates are touched.
    """
    path = Path(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    pattern, removed = temp_pattern(path), []
    for name in names:
        if pattern.fullmatch(name):
            stale = path.parent / name
            try:
                stale.unlink()
            except OSError:
                continue
            removed.append(stale)
    return removed
