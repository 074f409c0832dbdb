"""TUTORIAL.md, "Add your own model": a two-layer network with a skip connection.

Importing this module registers ``--model tutorial_skip_mlp``. A builder receives the dataset
(input shape, output size, task) and returns any ``torch.nn.Module``.

Run it: ``PYTHONPATH=. python experiments/tutorial/my_model.py``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from fl_pytorch.extend import ConfigError, FederatedDataset, register_model


class SkipMLP(nn.Module):
    """``out(x + relu(hidden(x)))``: the hidden layer keeps the input width."""

    def __init__(self, features: int, classes: int):
        super().__init__()
        self.hidden = nn.Linear(features, features)
        self.out = nn.Linear(features, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        return self.out(x + torch.relu(self.hidden(x)))


@register_model("tutorial_skip_mlp")
def tutorial_skip_mlp(dataset: FederatedDataset) -> nn.Module:
    """SkipMLP sized for ``dataset``; a clear error for data it cannot take."""
    if dataset.task != "classification":
        raise ConfigError(f"--model: 'tutorial_skip_mlp' needs class labels; dataset "
                          f"{dataset.name!r} is {dataset.task}")
    return SkipMLP(math.prod(dataset.input_shape), dataset.output_dim)


def main(rounds=20, out_dir="results"):
    """FedAvg with the new model on the offline digits dataset."""
    from fl_pytorch import Config, run
    config = Config(dataset="digits", model="tutorial_skip_mlp", loss="crossentropy",
                    rounds=rounds, quiet=True)
    result = run(config, out=f"{out_dir}/tutorial_skip_mlp.bin")
    accuracy = float(result["metrics"]["top1_acc"][-1])
    print(f"tutorial_skip_mlp on digits, {result['problem']['dimension']} parameters: test "
          f"accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
