"""User extensions (plugins): modules that register algorithms, compressors, datasets or models.

A plugin is a Python module that registers its extensions when imported, exactly as the
built-ins do (``fl_pytorch.extend``). ``--plugins my_algorithm,other`` names importable modules or
``.py`` files; installed packages can instead declare an entry point in the group
``fl_pytorch.plugins``, loaded automatically the first time a registry is read. Plugins are
loaded before any option is checked, so their names are valid ``--algorithm`` (and other)
choices in the command line, the GUI's combo boxes and ``--help-algorithm``. A remote worker
imports only the plugins it was started with (``./run.sh worker --plugins ...``); the master
sends the names, never code.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

from .errors import ConfigError

GROUP = "fl_pytorch.plugins"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_loaded: dict[str, ModuleType] = {}
_entry_points_done = False


def plugin_names(text: str) -> list[str]:
    """The entries of a ``--plugins`` value (comma-separated, blanks ignored)."""
    return [p.strip() for p in str(text).split(",") if p.strip()]


def check_plugins(text: str) -> str | None:
    """Why ``text`` is not a list of module names or ``.py`` files (None when it is)."""
    for name in plugin_names(text):
        if not (name.endswith(".py") or _NAME.match(name)):
            return f"{name!r} is neither a module name (a.b.c) nor a .py file"
    return None


def load_plugins(text: str) -> list[ModuleType]:
    """Import every plugin of a ``--plugins`` value once; a ConfigError names the one that fails.

    ``.py`` paths are resolved against the working folder; their modules are named after the
    file (``my_algorithm.py`` -> ``my_algorithm``), so a line that names either loads it once.
    """
    load_entry_points()
    return [_load(name) for name in plugin_names(text)]


def plugin_key(name: str) -> str:
    """The module name a plugin entry loads as (``dir/my_algo.py`` -> ``my_algo``)."""
    return Path(name).stem if name.endswith(".py") else name


def _load(name: str) -> ModuleType:
    key = plugin_key(name)
    if key in _loaded:
        return _loaded[key]
    try:
        if name.endswith(".py"):
            module = sys.modules.get(key) or _from_file(Path(name), key)
        else:
            module = importlib.import_module(name)
    except ConfigError:
        raise
    except Exception as e:  # noqa: BLE001 (any failure of the user's module is reported)
        raise ConfigError(f"--plugins: cannot load {name!r}: {type(e).__name__}: {e}") from None
    _loaded[key] = module
    return module


def _from_file(path: Path, key: str) -> ModuleType:
    if not path.is_file():
        raise ConfigError(f"--plugins: invalid value {str(path)!r}; no such file")
    spec = importlib.util.spec_from_file_location(key, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
    return module


def load_entry_points() -> None:
    """Import the modules of the ``fl_pytorch.plugins`` entry points (once per process)."""
    global _entry_points_done
    if _entry_points_done:
        return
    _entry_points_done = True  # before loading: a plugin reading a registry must not recurse
    for entry in metadata.entry_points(group=GROUP):
        try:
            module = entry.load()
        except Exception as e:  # noqa: BLE001
            raise ConfigError(f"--plugins: the installed plugin {entry.name!r} ({entry.value}) "
                              f"cannot be loaded: {type(e).__name__}: {e}") from None
        _loaded.setdefault(entry.name, module)


def loaded_plugins() -> list[str]:
    """Names of the plugins loaded in this process (for result files and workers)."""
    return list(_loaded)
