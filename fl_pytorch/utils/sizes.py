"""Sizes and durations for messages, and this machine's memory."""

from __future__ import annotations

import os


def machine_memory() -> int:
    """Bytes of RAM of this machine (from the OS; psutil where sysconf cannot say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        import psutil
        return int(psutil.virtual_memory().total)


def human_bytes(n: float) -> str:
    """``1.5 GiB``-style size."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} PiB"


def human_seconds(s: float) -> str:
    """``3.2 days``-style duration."""
    for unit, size in (("years", 365 * 86400.0), ("days", 86400.0), ("hours", 3600.0),
                       ("minutes", 60.0)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"
