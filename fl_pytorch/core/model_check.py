"""Do the loss, the model and the dataset fit together? Checked once before training starts.

The loss must suit the dataset's task (``LOSS_TASKS``), and a forward pass of the model on two
training samples must give the output shape the loss needs. A mismatch (say, the logistic loss
with a 10-class model) is a ConfigError naming the option, the value and what would fit, instead
of a shape error deep inside the first round.
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import ConfigError
from .scores import SCORES, score_names

LOSS_TASKS = {"crossentropy": ("classification", "next_token"), "logistic": ("binary",),
              "mse": ("regression", "binary")}


def _expected_shape(task: str, batch: int, output_dim: int, targets: torch.Tensor
                    ) -> tuple[int, ...]:
    if task == "classification":
        return (batch, output_dim)
    if task == "next_token":
        return (batch, output_dim, targets.shape[1])
    return tuple(targets.shape) if targets.dim() > 1 else (batch, 1)


def check_fit(config: Any, dataset: Any, oracle: Any, x0: torch.Tensor) -> None:
    """Raise a ConfigError unless loss, model, dataset and the tracked metrics fit together.

    ``dataset`` is already on the device of the oracle and of the initial point ``x0``.
    """
    task, name = dataset.task, dataset.name
    fits = [loss for loss, tasks in LOSS_TASKS.items() if task in tasks]
    if config.loss in LOSS_TASKS and config.loss not in fits:
        raise ConfigError(f"--loss: invalid value {config.loss!r} for dataset {name!r} ({task} "
                          f"targets); valid here: {', '.join(fits)}")
    inputs, targets = dataset.x[:2], dataset.y[:2]
    try:
        with torch.no_grad():
            out = oracle.predict(x0, inputs)
    except (RuntimeError, ValueError, IndexError) as e:
        raise ConfigError(f"--model: {config.model!r} cannot take the inputs of dataset {name!r} "
                          f"(shape {tuple(dataset.input_shape)}): {e}") from None
    want = _expected_shape(task, inputs.shape[0], dataset.output_dim, targets)
    shape = tuple(out.shape)
    same_size = config.loss in ("logistic", "mse") and out.numel() == targets.numel()
    if shape != want and not same_size:
        raise ConfigError(f"--model: {config.model!r} gives outputs of shape {shape} for a batch "
                          f"of {inputs.shape[0]}, but --loss {config.loss} on dataset {name!r} "
                          f"needs {want}")
    if "objective_gap_train" in config.extra_track and getattr(oracle, "hessian", None) is None:
        raise ConfigError("--extra-track: objective_gap_train needs a problem with an exact "
                          f"Hessian oracle, and --model {config.model} with --loss {config.loss} "
                          "has none; valid: a linear model (logistic_regression, linear) with "
                          "--loss logistic or mse")
    defined = score_names(task, dataset.output_dim)
    for metric in (m.strip() for m in config.extra_track.split(",")):
        score = metric.removesuffix("_train")
        if score in SCORES and score not in defined:
            raise ConfigError(f"--extra-track: {metric!r} is not defined for dataset {name!r} "
                              f"({task}); scores defined here: {', '.join(defined) or 'none'}")
