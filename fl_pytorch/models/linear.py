"""Linear models: ``linear`` and ``logistic_regression``.

``linear`` is ``y = W x`` (the paper's quadratic ``A x - b``); ``logistic_regression`` gives one
logit ``a^T x`` per sample for the logistic loss, or one per class for cross-entropy. Both are
bias-free: LIBSVM datasets carry a constant feature instead, so the smoothness constants of
docs/datasets.md hold for exactly these parameters.
"""

from __future__ import annotations

from torch import nn

from ..data.federated import FederatedDataset
from .shapes import flat_features
from .zoo import register_model


@register_model("linear")
def linear(dataset: FederatedDataset) -> nn.Module:
    """Bias-free linear map from the flattened input to ``dataset.output_dim`` outputs."""
    return nn.Sequential(nn.Flatten(), nn.Linear(flat_features(dataset, "linear"),
                                                 dataset.output_dim, bias=False))


@register_model("logistic_regression")
def logistic_regression(dataset: FederatedDataset) -> nn.Module:
    """Bias-free logits ``A x``.

    One logit for a binary dataset (``--loss logistic``), else one per class (multinomial
    logistic regression, ``--loss crossentropy``).
    """
    return nn.Sequential(nn.Flatten(), nn.Linear(flat_features(dataset, "logistic_regression"),
                                                 dataset.output_dim, bias=False))
