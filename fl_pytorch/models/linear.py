"""``linear``: ``y = W x`` without bias (the paper's quadratic uses ``A x - b``)."""

from __future__ import annotations

import math

from torch import nn

from ..data.federated import FederatedDataset
from .zoo import register_model


@register_model("linear")
def linear(dataset: FederatedDataset) -> nn.Module:
    """Bias-free linear map from the flattened input to ``dataset.output_dim`` outputs."""
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(dataset.input_shape),
                                                 dataset.output_dim, bias=False))
