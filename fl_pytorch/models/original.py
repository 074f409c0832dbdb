"""The original FL_PyTorch's own small models, under their original names.

``dense``: flatten, 32 ReLU, 64 ReLU, outputs. The original ended with a sigmoid and fed
probabilities to its losses; here the model gives logits and the losses apply the link
(``--loss logistic`` is the sigmoid's log-likelihood), so the objective is the same for the
logistic loss.
``femnist`` / ``minifemnist``: the original's FEMNIST CNN, conv5x5(32)-pool-conv5x5(64)-pool then
one linear layer (10 and 20 channels for the mini version), no padding.
``rnn`` / ``minirnn``: the original's Shakespeare LSTM, an 8-dimensional embedding and two LSTM
layers of 512 (128 for the mini version) units with a per-position decoder.
"""

from __future__ import annotations

from torch import nn

from ..data.federated import FederatedDataset
from ..errors import ConfigError
from .lstm import CharLSTM
from .shapes import flat_features, image_shape
from .zoo import register_model


@register_model("dense")
def dense(dataset: FederatedDataset) -> nn.Module:
    """Flatten, 32 ReLU, 64 ReLU, ``dataset.output_dim`` outputs (with biases)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(flat_features(dataset, "dense"), 32), nn.ReLU(),
                         nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, dataset.output_dim))


def _femnist(name: str, channels: tuple[int, int]):
    def build(dataset: FederatedDataset) -> nn.Module:
        c, h, w = image_shape(dataset, name)
        side_h, side_w = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2
        if side_h < 1 or side_w < 1:
            raise ConfigError(f"--model: {name!r} needs images of at least 16x16, got {h}x{w}")
        return nn.Sequential(
            nn.Conv2d(c, channels[0], 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(channels[0], channels[1], 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Flatten(), nn.Linear(channels[1] * side_h * side_w, dataset.output_dim))
    build.__doc__ = f"The original's FEMNIST CNN with {channels} channels."
    return build


def _rnn(name: str, hidden: int):
    def build(dataset: FederatedDataset) -> nn.Module:
        if dataset.task != "next_token":
            raise ConfigError(f"--model: {name!r} needs a next-token dataset (shakespeare, "
                              f"full_shakespeare); {dataset.name!r} is {dataset.task}")
        return CharLSTM(dataset.output_dim, hidden)
    build.__doc__ = f"The original's Shakespeare LSTM with {hidden} hidden units."
    return build


register_model("femnist")(_femnist("femnist", (32, 64)))
register_model("minifemnist")(_femnist("minifemnist", (10, 20)))
register_model("rnn")(_rnn("rnn", 512))
register_model("minirnn")(_rnn("minirnn", 128))
