"""The dataset registry: name -> loader(config) -> FederatedDataset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from .federated import FederatedDataset
from .guard import guarded

DATASETS: Registry[Callable[[Any], FederatedDataset]] = Registry("dataset", "--dataset")


def register_dataset(name: str):
    """Decorator registering ``loader(config) -> FederatedDataset`` under ``name``.

    The registry holds the loader wrapped by ``guard.guarded``: a file it cannot read is one
    ConfigError, never a traceback.
    """
    def deco(loader: Callable[[Any], FederatedDataset]):
        DATASETS.register(name, guarded(name, loader))
        return loader
    return deco


@register_dataset("generated_for_quadratic_minimization")
def _quadratic(config: Any) -> FederatedDataset:
    from .quadratic import generate_quadratic
    return generate_quadratic(config.dataset_generation_spec)
