"""Small convolutional networks for small images.

``small_cnn``: two 3x3 conv layers (16, 32 channels, ReLU, 2x2 max-pool) and a 64-unit hidden
layer; for 8x8 digits (13,706 parameters with 10 classes) up to 28x28 images.
``femnist_cnn``: the CNN of LEAF and of McMahan et al. (2017) for 28x28 (F)EMNIST: two 5x5 conv
layers (32, 64 channels, 'same' padding, 2x2 max-pool), 2048 ReLU units, one output per class.
"""

from __future__ import annotations

from torch import nn

from ..data.federated import FederatedDataset
from ..errors import ConfigError
from .shapes import image_shape
from .zoo import register_model


@register_model("small_cnn")
def small_cnn(dataset: FederatedDataset) -> nn.Module:
    """conv3x3(16)-pool-conv3x3(32)-pool-fc(64)-fc(classes); any image side >= 4."""
    c, h, w = image_shape(dataset, "small_cnn")
    if h < 4 or w < 4:
        raise ConfigError(f"--model: 'small_cnn' needs images of at least 4x4, got {h}x{w}")
    return nn.Sequential(
        nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (h // 4) * (w // 4), 64), nn.ReLU(),
        nn.Linear(64, dataset.output_dim))


@register_model("femnist_cnn")
def femnist_cnn(dataset: FederatedDataset) -> nn.Module:
    """LEAF's FEMNIST CNN (6.6M parameters for 62 classes)."""
    c, h, w = image_shape(dataset, "femnist_cnn")
    return nn.Sequential(
        nn.Conv2d(c, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), 2048), nn.ReLU(),
        nn.Linear(2048, dataset.output_dim))
