"""Loss functions (``--loss``) and regularizers (``--global-regulizer``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..registry import Registry

LOSSES: Registry[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = Registry("loss",
                                                                                  "--loss")


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the squared error summed over outputs (torch's MSE for 1 output)."""
    return (pred.reshape(target.shape[0], -1) - target.reshape(target.shape[0], -1)).pow(2) \
        .sum(1).mean()


def crossentropy(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Softmax cross-entropy of logits against integer class labels.

    Logits (B, C) go with labels (B,), logits (B, C, T) with token sequences (B, T); targets
    equal to -100 are padding and ignored.
    """
    return F.cross_entropy(pred, target.long())


def logistic(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of ``log(1 + exp(-b z))`` for one logit z per sample and labels b in {-1, +1}."""
    return F.softplus(-target.reshape(-1) * pred.reshape(-1)).mean()


LOSSES.register("mse", mse)
LOSSES.register("crossentropy", crossentropy)
LOSSES.register("logistic", logistic)


@dataclass(frozen=True)
class Regularizer:
    """``value(x, alpha)`` and its gradient ``grad(x, alpha)`` on the flat parameter vector."""

    value: Callable[[torch.Tensor, float], torch.Tensor]
    grad: Callable[[torch.Tensor, float], torch.Tensor]
    l2_alpha: Callable[[float], float]  # the strongly convex part added to the Hessian
    is_zero: bool = False  # lets oracles skip the regularizer entirely


REGULARIZERS: Registry[Regularizer] = Registry("regularizer", "--global-regulizer")
REGULARIZERS.register("none", Regularizer(
    value=lambda x, a: x.new_zeros(()), grad=lambda x, a: torch.zeros_like(x),
    l2_alpha=lambda a: 0.0, is_zero=True))
REGULARIZERS.register("cvx_l2norm", Regularizer(
    value=lambda x, a: 0.5 * a * x.dot(x), grad=lambda x, a: a * x, l2_alpha=lambda a: a))
REGULARIZERS.register("noncvx_robust_linear_regression", Regularizer(
    value=lambda x, a: a * (x * x / (1 + x * x)).sum(),
    grad=lambda x, a: a * 2 * x / (1 + x * x).pow(2), l2_alpha=lambda a: float("nan")))
