"""User-facing errors: one clear line naming the option or file, the value and what is expected.

Every failure a user can cause ends as a :class:`ConfigError` (exit status 2 at the command
line). The helpers below build its standard messages, and :func:`user_error` maps the low-level
exceptions that bad files, full disks or impossible sizes raise (``OSError``, ``MemoryError``,
allocation failures, corrupt-data errors) to one, so that no input ends in a traceback.
"""

from __future__ import annotations

import errno
import os


class ConfigError(ValueError):
    """A bad option value: the message names the option, the value and the valid choices."""


def invalid(option: str, value: object, valid: str) -> ConfigError:
    """Build the standard 'bad value' error: option, offending value, what is accepted."""
    return ConfigError(f"{option}: invalid value {shown(value)}; {valid}")


def shown(value: object, limit: int = 120) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) folded into one space."""
    return " ".join(str(text).split())


def describe_os_error(e: OSError) -> str:
    """``strerror`` of an OSError without the file name (the caller names the file)."""
    if e.errno is not None and e.strerror:
        return e.strerror
    return one_line(e) or type(e).__name__


def file_error(option: str, path: object, problem: str) -> ConfigError:
    """``OPTION: cannot use 'PATH': PROBLEM`` — a file or folder that cannot serve its purpose.

    The error's ``reason`` attribute is ``problem`` (for callers that word it their way).
    """
    error = ConfigError(f"{option}: cannot use {shown(os.fspath(str(path)))}: {problem}")
    error.reason = problem
    return error


def is_out_of_memory(e: BaseException) -> bool:
    """True for Python's MemoryError and for torch/NumPy allocation failures."""
    if isinstance(e, MemoryError):
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and ("can't allocate memory" in text
                                            or "not enough memory" in text
                                            or "std::bad_alloc" in text)


def user_error(e: BaseException, option: str, value: object, expected: str) -> ConfigError:
    """A ConfigError for a low-level failure caused by the value of ``option``.

    ``expected`` says what a good value is (e.g. "a readable LIBSVM text file"). A ConfigError
    is returned as it is.
    """
    if isinstance(e, ConfigError):
        return e
    if is_out_of_memory(e):
        why = "not enough memory for it"
    elif isinstance(e, OSError):
        why = describe_os_error(e)
        if e.errno == errno.ENOSPC:
            why = "the disk is full"
    else:
        why = f"{type(e).__name__}: {one_line(e)[:300]}"
    return ConfigError(f"{option}: invalid value {shown(str(value))} ({why}); expected {expected}")
