"""One registry per extension kind (algorithms, compressors, datasets, models, ...).

Built-ins register exactly the way a user's extension does: ``REGISTRY.register(name, obj)``.
``names()`` feeds CLI choices, GUI combo boxes and the contract tests. Installed plugins (the
``fl_pytorch.plugins`` entry points, ``fl_pytorch/plugins.py``) are loaded before a registry is
first read.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named, duplicate-free table of extensions of one kind."""

    def __init__(self, kind: str, option: str):
        self.kind = kind
        self.option = option
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T) -> T:
        """Add ``obj`` under ``name``; a second registration of the same name is an error."""
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        return obj

    def get(self, name: str) -> T:
        """Look ``name`` up, or raise a ConfigError suggesting the closest valid names."""
        _installed_plugins()
        try:
            return self._items[name]
        except KeyError:
            raise self.unknown(name) from None

    def unknown(self, name: str) -> ConfigError:
        """The error for a name that is not registered."""
        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f" did you mean {close[0]!r}?" if close else ""
        return ConfigError(
            f"{self.option}: unknown {self.kind} {name!r};{hint} valid: {', '.join(self.names())}"
        )

    def names(self) -> list[str]:
        """All registered names, in registration order."""
        _installed_plugins()
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        _installed_plugins()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def _installed_plugins() -> None:
    """Load the installed plugins (entry points) before a registry is first read."""
    from .plugins import load_entry_points
    load_entry_points()
