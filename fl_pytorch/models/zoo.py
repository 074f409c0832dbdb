"""The model registry; a builder receives the dataset (input shape, output size)."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ..data.federated import FederatedDataset
from ..registry import Registry

MODELS: Registry[Callable[[FederatedDataset], nn.Module]] = Registry("model", "--model")


def register_model(name: str):
    """Decorator registering ``builder(dataset) -> nn.Module`` under ``name``."""
    def deco(builder: Callable[[FederatedDataset], nn.Module]):
        MODELS.register(name, builder)
        return builder
    return deco
