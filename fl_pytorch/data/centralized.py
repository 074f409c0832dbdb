"""Turn a centralized dataset (one train tensor pair, optional test pair) into a federated one.

The clients come from the partitioner (``--partition``, ``--num-clients``, or
``--sort-dataset-by-class-before-split``; seeded by ``--manual-init-seed``). The training samples
are reordered once so that every client's samples are contiguous: a client's data is then a
zero-copy slice of the one tensor held in memory.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from ..errors import ConfigError
from .federated import FederatedDataset
from .partition import parse_partition, split


def warn_unused_spec(name: str, config: Any) -> None:
    """Log that ``--dataset-generation-spec`` does not apply to a dataset read from files.

    An option that does not apply is ignored, as in the GUI (which hides it).
    """
    if config.dataset_generation_spec:
        logging.getLogger("fl_pytorch").warning(
            "--dataset-generation-spec %r is ignored: dataset %r is not generated (did you mean "
            "--dataset generated_for_quadratic_minimization?)", config.dataset_generation_spec,
            name)


def partition_of(config: Any) -> str:
    """The effective partition spec (the original tool's sort flag means ``sorted``)."""
    if config.sort_dataset_by_class_before_split:
        if config.partition != "iid":
            raise ConfigError(f"--sort-dataset-by-class-before-split: conflicts with --partition "
                              f"{config.partition!r}; give one of the two")
        return "sorted"
    return config.partition


def ranges(sizes: list[int]) -> list[torch.Tensor]:
    """Consecutive index ranges of the given sizes: the clients of a contiguous layout."""
    bounds = np.cumsum([0, *sizes])
    return [torch.arange(int(a), int(b)) for a, b in zip(bounds, bounds[1:])]


def contiguous(parts: list[np.ndarray]) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The sample order that makes each part contiguous, and each part's new index range."""
    order = torch.from_numpy(np.concatenate(parts).astype(np.int64))
    return order, ranges([len(p) for p in parts])


def federate(name: str, config: Any, x: torch.Tensor, y: torch.Tensor, *, task: str,
             output_dim: int, default_clients: int, test_x: torch.Tensor | None = None,
             test_y: torch.Tensor | None = None, info: dict[str, Any] | None = None,
             fixed_partition: str | None = None) -> FederatedDataset:
    """Split ``(x, y)`` among clients as the config says and build the FederatedDataset.

    ``fixed_partition`` is the partition implied by names such as ``cifar10_fl_by_class``.
    """
    warn_unused_spec(name, config)
    spec = partition_of(config)
    if fixed_partition is not None:
        if spec not in ("iid", fixed_partition):
            raise ConfigError(f"--partition: invalid value {spec!r}; dataset {name!r} is always "
                              f"split {fixed_partition!r}")
        spec = fixed_partition
    partition = parse_partition(spec)
    labels = None
    if partition.needs_labels:
        if task not in ("classification", "binary"):
            raise ConfigError(f"--partition: invalid value {spec!r} for dataset {name!r}, whose "
                              f"targets are not class labels; valid here: iid")
        labels = y.numpy()
    clients = config.num_clients or default_clients
    rng = np.random.default_rng(config.manual_init_seed)
    order, indices = contiguous(split(partition, len(y), clients, labels, rng))
    meta = {"partition": spec, "num_clients": clients, "task": task,
            "test_samples": 0 if test_y is None else len(test_y), **(info or {})}
    return FederatedDataset(name=name, x=x[order], y=y[order], client_indices=indices,
                            input_shape=tuple(x.shape[1:]), output_dim=output_dim, task=task,
                            test_x=test_x, test_y=test_y, info=meta)
