"""FL_PyTorch: an optimization research simulator for federated learning.

Public API: :class:`Config`, :func:`run`, :func:`prepare`, :class:`RunHandle`,
:func:`load_result`, :class:`Callback`, :class:`RunInfo`, :class:`ConfigError`, and the
registries (``fl_pytorch.registries``). Names are imported on first use, so ``results``
commands start without loading torch.
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "Callback": "core.callbacks", "RunInfo": "core.callbacks", "Config": "config",
    "ConfigError": "errors", "RunHandle": "api", "prepare": "api", "run": "api",
    "load_result": "results.loader",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    raise AttributeError(f"module 'fl_pytorch' has no attribute {name!r}")
