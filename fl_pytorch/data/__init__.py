"""Federated datasets: tensors held in memory plus per-client index arrays.

Loaders register by name (``--dataset``); heavy or optional dependencies (scikit-learn, h5py,
torchvision's readers) are imported only when a loader runs. See docs/datasets.md.
"""

from . import digits, cifar, mnist, tff, libsvm  # noqa: F401, I001  (registration, in this order)
from .federated import FederatedDataset, parse_spec
from .registry import DATASETS, register_dataset

__all__ = ["DATASETS", "FederatedDataset", "parse_spec", "register_dataset"]
