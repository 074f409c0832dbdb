"""Model zoo: name -> builder(dataset) -> torch.nn.Module."""

from . import linear  # noqa: F401  (registration)
from .zoo import MODELS, register_model

__all__ = ["MODELS", "register_model"]
