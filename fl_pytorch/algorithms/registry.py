"""The algorithm registry (``--algorithm`` choices)."""

from __future__ import annotations

from ..core.algorithm import Algorithm
from ..registry import Registry

ALGORITHMS: Registry[Algorithm] = Registry("algorithm", "--algorithm")


def register_algorithm(algorithm: Algorithm) -> Algorithm:
    """Register ``algorithm`` under its name, exactly as a user extension would."""
    return ALGORITHMS.register(algorithm.name, algorithm)
