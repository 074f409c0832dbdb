"""Input checks shared by the model builders: clear errors instead of shape tracebacks."""

from __future__ import annotations

import math

from ..data.federated import FederatedDataset
from ..errors import ConfigError


def image_shape(dataset: FederatedDataset, model: str) -> tuple[int, int, int]:
    """``(channels, height, width)`` of an image dataset, or a ConfigError naming --model."""
    if len(dataset.input_shape) != 3 or dataset.task != "classification":
        raise ConfigError(f"--model: {model!r} needs images (C, H, W) with class labels; dataset "
                          f"{dataset.name!r} has inputs of shape {tuple(dataset.input_shape)} "
                          f"({dataset.task})")
    c, h, w = dataset.input_shape
    return int(c), int(h), int(w)


def flat_features(dataset: FederatedDataset, model: str) -> int:
    """Number of input features of a model that flattens its input."""
    if dataset.task == "next_token":
        raise ConfigError(f"--model: {model!r} takes feature vectors or images; dataset "
                          f"{dataset.name!r} holds token sequences (try shakespeare_lstm)")
    return math.prod(dataset.input_shape)
