"""``digits``: scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes), no download.

Pixels are scaled to [0, 1] and shaped (1, 8, 8). A fixed shuffle (seed 0) keeps the last 360
images as the test split; the other 1,437 are split among clients by ``--partition`` (default:
10 clients, IID).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .centralized import federate
from .federated import FederatedDataset
from .registry import register_dataset

TEST_SAMPLES = 360


@register_dataset("digits")
def load_digits(config: Any) -> FederatedDataset:
    """Load the digits shipped with scikit-learn and federate them."""
    from .optional import require
    datasets = require("sklearn.datasets", "scikit-learn", "digits")
    bunch = datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(bunch.target))
    x = torch.from_numpy(bunch.images[order] / 16.0).float().unsqueeze(1)
    y = torch.from_numpy(bunch.target[order]).long()
    cut = len(y) - TEST_SAMPLES
    return federate("digits", config, x[:cut], y[:cut], task="classification", output_dim=10,
                    default_clients=10, test_x=x[cut:], test_y=y[cut:])
