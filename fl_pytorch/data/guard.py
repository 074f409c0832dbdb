"""The last line of defence of every dataset loader: no corrupt file ends in a traceback.

Loaders check the files they know (layouts, shapes, labels; see each module). Whatever else a
foreign, truncated or hand-edited file makes a library raise deep inside (h5py, torchvision,
scikit-learn, NumPy, torch) becomes one ConfigError naming ``--data-path``, the dataset and the
cause. :func:`guarded` wraps every loader that ``register_dataset`` registers.
"""

from __future__ import annotations

import functools
import pickle
import struct
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError, user_error

#: what libraries raise on data they cannot read or fit in memory
LOADER_ERRORS = (OSError, EOFError, KeyError, IndexError, ValueError, TypeError, RuntimeError,
                 AttributeError, ArithmeticError, MemoryError, struct.error,
                 pickle.UnpicklingError)


def guarded(name: str, loader: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``loader`` whose unexpected failures become one ConfigError naming the dataset."""
    @functools.wraps(loader)
    def load(config: Any) -> Any:
        try:
            return loader(config)
        except ConfigError:
            raise
        except LOADER_ERRORS as e:
            raise user_error(e, "--data-path", config.data_path,
                             f"the files of dataset {name!r} as docs/datasets.md describes "
                             f"(--dataset {name})") from None
    return load
