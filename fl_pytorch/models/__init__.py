"""Model zoo: name -> builder(dataset) -> torch.nn.Module. See docs/models.md.

The original FL_PyTorch's names (``resnet18_cifar``, ``vgg11_cifar``, ``wideresnet282_cifar``,
the GUI's ``wideresnet282``, ``logistic``, ...) are registered as aliases of the same builders,
so its command lines keep working; its own small models (``dense``, ``femnist``, ``rnn``, ...)
are in ``original.py``.
"""

from . import (  # noqa: F401, I001  (registration, in this order)
    linear, mlp, cnn, lstm, resnet_cifar, resnet, vgg, wide_resnet, torchvision_resnet, original)
from .zoo import MODELS, register_model

ORIGINAL_NAMES = {
    **{f"resnet{d}_cifar": f"resnet{d}" for d in (18, 34, 50, 101, 152)},
    **{f"vgg{d}_cifar": f"vgg{d}" for d in (11, 13, 16, 19)},
    **{f"wideresnet28{k}_cifar": f"wrn28_{k}" for k in (2, 4, 8)},
    **{f"wideresnet28{k}": f"wrn28_{k}" for k in (2, 4, 8)},
    "logistic": "logistic_regression",
}
for _old, _new in ORIGINAL_NAMES.items():
    MODELS.register(_old, MODELS.get(_new))

__all__ = ["MODELS", "ORIGINAL_NAMES", "register_model"]
