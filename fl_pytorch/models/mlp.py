"""``mlp``: two hidden layers of 200 ReLU units (the "2NN" of McMahan et al., 2017)."""

from __future__ import annotations

from torch import nn

from ..data.federated import FederatedDataset
from .shapes import flat_features
from .zoo import register_model

HIDDEN = 200


@register_model("mlp")
def mlp(dataset: FederatedDataset) -> nn.Module:
    """Flatten, 200 ReLU, 200 ReLU, ``dataset.output_dim`` outputs."""
    return nn.Sequential(nn.Flatten(), nn.Linear(flat_features(dataset, "mlp"), HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, dataset.output_dim))
