"""FL_PyTorch: an optimization research simulator for federated learning.

Public API: :class:`Config`, :func:`run`, :func:`prepare`, :func:`load_result`,
:class:`Callback`, and the registries (``fl_pytorch.registries``).
"""

__version__ = "0.1.0"

from .api import RunHandle, prepare, run  # noqa: E402
from .config import Config  # noqa: E402
from .core.callbacks import Callback, RunInfo  # noqa: E402
from .errors import ConfigError  # noqa: E402


def load_result(path):
    """Load a result file safely (plain data only; see ``fl_pytorch.results``)."""
    from .results import load_result as _load
    return _load(path)


__all__ = ["Callback", "Config", "ConfigError", "RunHandle", "RunInfo", "__version__",
           "load_result", "prepare", "run"]
