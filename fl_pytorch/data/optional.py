"""Optional dependencies of dataset loaders: imported on first use, with the exact pip hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import ConfigError


def require(module: str, package: str, dataset: str) -> ModuleType:
    """Import ``module`` or raise a ConfigError telling how to install ``package``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(f"--dataset: {dataset!r} needs the {package!r} package; install it "
                          f"with: pip install {package}") from None
