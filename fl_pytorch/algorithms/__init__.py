"""Built-in algorithms; each module registers its record in ``ALGORITHMS``."""

from . import dcgd, diana, fedavg, fedprox, marina, scaffold  # noqa: F401  (registration)
from .registry import ALGORITHMS, register_algorithm

__all__ = ["ALGORITHMS", "register_algorithm"]
