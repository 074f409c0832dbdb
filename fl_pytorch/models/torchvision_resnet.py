"""torchvision's ImageNet ResNets, ``tv_resnet18`` ... ``tv_resnet152``.

They can start from ImageNet weights (``--use-pretrained``).
The weights file is torchvision's own (e.g. ``resnet18-f37072fd.pth``) in torch hub's cache,
``$TORCH_HOME/hub/checkpoints/`` (default ``~/.cache/torch/hub/checkpoints/``), where torchvision
also puts it when it downloads. Missing and offline: a ConfigError naming the file and its URL.
The final layer is replaced by a fresh one when the dataset does not have 1000 classes.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..data.federated import FederatedDataset
from ..errors import ConfigError
from .shapes import image_shape
from .zoo import register_model

DEPTHS = (18, 34, 50, 101, 152)


def _weights(depth: int):
    import torchvision.models as tvm
    return getattr(tvm, f"ResNet{depth}_Weights").IMAGENET1K_V1


def weights_path(depth: int) -> Path:
    """Where torchvision keeps (and looks for) the ImageNet weights of ResNet-``depth``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_weights(depth).url).name


def load_pretrained(model: nn.Module, depth: int, offline: bool) -> None:
    """Copy the ImageNet weights into ``model`` (all but a re-sized final layer)."""
    from ..data.download import fetch
    path, url = weights_path(depth), _weights(depth).url
    reason = ""
    if not path.is_file() and not offline:
        try:
            fetch(url, path)
        except OSError as e:
            reason = f" (download failed: {e})"
    if not path.is_file():
        raise ConfigError(f"--use-pretrained: weights file {path.name} not found in {path.parent}"
                          f"{reason}; get it from {url} and put it there, or run once online "
                          "without --offline")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["fc.weight"].shape != model.fc.weight.shape:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    model.load_state_dict(state, strict=False)


def _builder(depth: int):
    name = f"tv_resnet{depth}"

    def build(dataset: FederatedDataset) -> nn.Module:
        import torchvision.models as tvm
        c, _, _ = image_shape(dataset, name)
        if c != 3:
            raise ConfigError(f"--model: {name!r} takes RGB images; dataset {dataset.name!r} "
                              f"has {c} channel(s)")
        return getattr(tvm, f"resnet{depth}")(weights=None, num_classes=dataset.output_dim)
    build.__doc__ = f"torchvision's ResNet-{depth} (ImageNet layout)."
    return build


for _depth in DEPTHS:
    register_model(f"tv_resnet{_depth}")(_builder(_depth))
