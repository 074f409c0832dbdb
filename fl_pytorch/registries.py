"""Every extension registry in one place: the single source of CLI choices and GUI combos."""

from .algorithms import ALGORITHMS
from .compressors import COMPRESSORS
from .core.losses import LOSSES, REGULARIZERS
from .data import DATASETS
from .models import MODELS

__all__ = ["ALGORITHMS", "COMPRESSORS", "DATASETS", "LOSSES", "MODELS", "REGULARIZERS"]
