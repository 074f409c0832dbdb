"""VGG-11/13/16/19 with batch normalization, for 32x32 images (Simonyan & Zisserman, 2015).

The CIFAR layout of kuangliu/pytorch-cifar: 3x3 conv-BN-ReLU stacks, five 2x2 max-pools, one linear
classifier on the 512 features (no dropout, so runs stay deterministic). VGG-16: 14.7M
parameters for 10 classes.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.federated import FederatedDataset
from ..errors import ConfigError
from .shapes import image_shape
from .zoo import register_model

CONFIGS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """Feature stack from ``CONFIGS`` (ints: conv channels, "M": max-pool) and a linear head."""

    def __init__(self, config: list[int | str], in_channels: int, num_classes: int):
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_channels
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, int(item), 3, padding=1), nn.BatchNorm2d(int(item)),
                           nn.ReLU(inplace=True)]
                cin = int(item)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def _builder(depth: int):
    name = f"vgg{depth}"

    def build(dataset: FederatedDataset) -> nn.Module:
        c, h, w = image_shape(dataset, name)
        if (h, w) != (32, 32):
            raise ConfigError(f"--model: {name!r} is laid out for 32x32 images; dataset "
                              f"{dataset.name!r} has {h}x{w}")
        return VGG(CONFIGS[depth], c, dataset.output_dim)
    build.__doc__ = f"VGG-{depth} with batch norm, for 32x32 images."
    return build


for _depth in CONFIGS:
    register_model(f"vgg{_depth}")(_builder(_depth))
