"""ResNet-18/34/50/101/152 with a CIFAR-style stem (He et al., 2016).

The layout of the widely used kuangliu/pytorch-cifar: a 3x3 stride-1 first convolution and no
max-pool, so 32x32 images keep their resolution in the first stage. ResNet-18 has 11,173,962
parameters for 10 classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.federated import FederatedDataset
from .shapes import image_shape
from .zoo import register_model


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm; projection shortcut when the shape changes."""

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = _shortcut(cin, planes * self.expansion, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4), with batch norm."""

    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.shortcut = _shortcut(cin, planes * self.expansion, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return F.relu(self.bn3(self.conv3(out)) + self.shortcut(x))


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module:
    if stride == 1 and cin == cout:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNet(nn.Module):
    """Stem conv3x3(64), four stages (64, 128, 256, 512 planes), global average pool, linear."""

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], blocks: list[int],
                 in_channels: int, num_classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for i, (planes, n) in enumerate(zip([64, 128, 256, 512], blocks)):
            for k in range(n):
                layers.append(block(cin, planes, 2 if i > 0 and k == 0 else 1))
                cin = planes * block.expansion
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


DEPTHS = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]),
          50: (Bottleneck, [3, 4, 6, 3]), 101: (Bottleneck, [3, 4, 23, 3]),
          152: (Bottleneck, [3, 8, 36, 3])}


def _builder(depth: int):
    name = f"resnet{depth}"

    def build(dataset: FederatedDataset) -> nn.Module:
        c, _, _ = image_shape(dataset, name)
        block, blocks = DEPTHS[depth]
        return ResNet(block, blocks, c, dataset.output_dim)
    build.__doc__ = f"ResNet-{depth} with a CIFAR-style stem."
    return build


for _depth in DEPTHS:
    register_model(f"resnet{_depth}")(_builder(_depth))
