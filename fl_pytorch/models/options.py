"""Model options applied after a model is built: ``--use-pretrained`` and ``--train-last-layer``.

``--train-last-layer`` freezes every parameter except those of the last module that has any (the
classifier): frozen parameters keep their initial (or pretrained) values and are not part of the
flat vector ``x``, so algorithms, compressors and bit counts see only the trained layer.
``--turn-off-batch-normalization-and-dropout`` is applied by the oracle (eval mode throughout).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from ..errors import ConfigError
from .torchvision_resnet import DEPTHS, load_pretrained

PRETRAINED = {f"tv_resnet{d}": d for d in DEPTHS}


def last_layer(model: nn.Module) -> nn.Module:
    """The last submodule (in registration order) that owns parameters directly."""
    owners = [m for m in model.modules() if any(True for _ in m.parameters(recurse=False))]
    if not owners:
        raise ConfigError("--train-last-layer: the model has no parameters")
    return owners[-1]


def apply_model_options(model: nn.Module, config: Any) -> nn.Module:
    """Load pretrained weights and freeze layers as the config asks; returns ``model``."""
    if config.use_pretrained:
        if config.model not in PRETRAINED:
            raise ConfigError(f"--use-pretrained: model {config.model!r} has no pretrained "
                              f"weights; valid: {', '.join(PRETRAINED)}")
        load_pretrained(model, PRETRAINED[config.model], config.offline)
    if config.train_last_layer:
        keep = set(map(id, last_layer(model).parameters(recurse=False)))
        for p in model.parameters():
            p.requires_grad_(id(p) in keep)
    return model
