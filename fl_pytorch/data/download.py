"""Finding dataset files on disk, and downloading them when they are missing and we are online.

Every loader calls :func:`ensure`: files present -> nothing happens; missing -> one download
attempt (skipped with ``--offline``), with a time-out and an MD5 check when one is known; still
missing -> a ConfigError that says where the files were expected and how to get them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import ConfigError

TIMEOUT_S = 60


def fetch(url: str, dest: Path, md5: str | None = None) -> Path:
    """Download ``url`` to ``dest`` (atomically: temp file, then rename); check its MD5."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(tmp, "wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if md5 is not None and digest.hexdigest() != md5:
        tmp.unlink()
        raise OSError(f"MD5 mismatch for {url}")
    os.replace(tmp, dest)
    return dest


def extract(archive: Path, into: Path) -> None:
    """Unpack a .tar(.gz/.bz2) archive (regular files and folders only) or a single .gz file."""
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    else:
        with gzip.open(archive, "rb") as src, open(into / archive.stem, "wb") as dst:
            shutil.copyfileobj(src, dst)


def ensure(dataset: str, root: Path, required: Sequence[Path], how_to: str,
           download: Callable[[], None] | None, offline: bool) -> None:
    """Make sure every path in ``required`` exists, downloading once if allowed.

    Raises:
        ConfigError: naming ``--data-path``, the folder searched and how to get the files.
    """
    if all(p.exists() for p in required):
        return
    reason = ""
    if download is not None and not offline:
        try:
            download()
        except (OSError, tarfile.TarError, EOFError) as e:  # URLError is an OSError
            reason = f" (download failed: {e})"
    missing = [str(p) for p in required if not p.exists()]
    if missing:
        raise ConfigError(f"--data-path: dataset {dataset!r} not found under {str(root)!r} "
                          f"(missing {missing[0]}){reason}; {how_to}")
