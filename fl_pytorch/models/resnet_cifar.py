"""The CIFAR ResNets of He et al. (2016, section 4.2): ResNet-20/32/44/56/110.

Three stages of n basic blocks (16, 32, 64 channels; depth = 6n + 2) and shortcut option A
(identity, subsampled and zero-padded in channels when the shape changes: no parameters), so the
parameter counts are the paper's: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.federated import FederatedDataset
from .shapes import image_shape
from .zoo import register_model


class PadShortcut(nn.Module):
    """Option A shortcut: take every other pixel and zero-pad the new channels."""

    def __init__(self, extra_channels: int):
        super().__init__()
        self.extra = extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = self.extra // 2
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, half, self.extra - half))


class Block(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus shortcut, then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else PadShortcut(cout - cin)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class CifarResNet(nn.Module):
    """conv3x3(16), 3 stages of n blocks, global average pool, linear."""

    def __init__(self, n: int, in_channels: int, num_classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for i, cout in enumerate([16, 32, 64]):
            for k in range(n):
                blocks.append(Block(cin, cout, 2 if i > 0 and k == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


def _builder(depth: int):
    name = f"resnet{depth}"

    def build(dataset: FederatedDataset) -> nn.Module:
        c, _, _ = image_shape(dataset, name)
        return CifarResNet((depth - 2) // 6, c, dataset.output_dim)
    build.__doc__ = f"CIFAR ResNet-{depth} (He et al., 2016)."
    return build


for _depth in (20, 32, 44, 56, 110, 1202):
    register_model(f"resnet{_depth}")(_builder(_depth))
