"""Wide ResNets WRN-28-2, WRN-28-4, WRN-28-8 (Zagoruyko & Komodakis, 2016).

Pre-activation basic blocks (BN-ReLU-conv3x3, twice), three stages of 4 blocks with
16k, 32k, 64k channels, no dropout. WRN-28-2 has 1,467,610 parameters for 10 classes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.federated import FederatedDataset
from .shapes import image_shape
from .zoo import register_model

DEPTH = 28


class WideBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-conv3x3; a 1x1 projection shortcut when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = None if cin == cout and stride == 1 else \
            nn.Conv2d(cin, cout, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        o = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(o))))
        return out + (x if self.shortcut is None else self.shortcut(o))


class WideResNet(nn.Module):
    """conv3x3(16), three stages of (depth - 4) / 6 wide blocks, BN-ReLU, average pool, linear."""

    def __init__(self, widen: int, in_channels: int, num_classes: int):
        super().__init__()
        n = (DEPTH - 4) // 6
        widths = [16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        blocks, cin = [], 16
        for i, cout in enumerate(widths):
            for k in range(n):
                blocks.append(WideBlock(cin, cout, 2 if i > 0 and k == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.bn = nn.BatchNorm2d(cin)
        self.linear = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.blocks(self.conv1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(out, 1), 1))


def _builder(widen: int):
    name = f"wrn28_{widen}"

    def build(dataset: FederatedDataset) -> nn.Module:
        c, _, _ = image_shape(dataset, name)
        return WideResNet(widen, c, dataset.output_dim)
    build.__doc__ = f"WRN-28-{widen}."
    return build


for _widen in (2, 4, 8):
    register_model(f"wrn28_{_widen}")(_builder(_widen))
