"""Federated datasets: tensors held in memory plus per-client index arrays."""

from .federated import FederatedDataset, parse_spec
from .registry import DATASETS, register_dataset

__all__ = ["DATASETS", "FederatedDataset", "parse_spec", "register_dataset"]
