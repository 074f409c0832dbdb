"""The dataset registry: name -> loader(config) -> FederatedDataset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from .federated import FederatedDataset

DATASETS: Registry[Callable[[Any], FederatedDataset]] = Registry("dataset", "--dataset")


def register_dataset(name: str):
    """Decorator registering ``loader(config) -> FederatedDataset`` under ``name``."""
    def deco(loader: Callable[[Any], FederatedDataset]):
        DATASETS.register(name, loader)
        return loader
    return deco


@register_dataset("generated_for_quadratic_minimization")
def _quadratic(config: Any) -> FederatedDataset:
    from .quadratic import generate_quadratic
    return generate_quadratic(config.dataset_generation_spec)
