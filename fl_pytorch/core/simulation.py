"""Turn a validated Config into everything the round loop needs (the simulation setup)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import torch

from ..compressors import Compressor, parse_compressor
from ..config import Config
from ..data.federated import FederatedDataset
from ..utils.devices import parse_devices
from .algorithm import Algorithm
from .algorithm_options import parse_algorithm_options
from .losses import LOSSES, REGULARIZERS
from .oracle import ModuleOracle, build_oracle
from .sampling import check_sampling

DTYPES = {"fp32": torch.float32, "fp64": torch.float64}


@dataclass
class Simulation:
    """A configured experiment: data on its device, oracle, algorithm, compressor, x0."""

    config: Config
    algorithm: Algorithm
    options: dict[str, Any]
    dataset: FederatedDataset
    oracle: ModuleOracle
    uplink: Compressor
    device: torch.device
    dtype: torch.dtype
    weights: torch.Tensor  # w_i, summing to one
    x0: torch.Tensor
    solution: Optional[torch.Tensor]
    client_data: list[tuple[torch.Tensor, torch.Tensor]]

    @property
    def num_clients(self) -> int:
        return self.dataset.num_clients

    @property
    def dim(self) -> int:
        return self.x0.numel()

    def problem_info(self) -> dict[str, Any]:
        info = {"name": self.dataset.name, "dimension": self.dim,
                "num_clients": self.num_clients,
                "samples_per_client": [len(ix) for ix in self.dataset.client_indices]}
        info.update(self.dataset.info)
        if self.solution is not None:
            info["solution"] = self.solution.cpu().double().numpy()
        return info


def _client_view(data: FederatedDataset, ix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The client's samples: a zero-copy slice when its indices are contiguous."""
    n = ix.numel()
    if n and bool((ix == torch.arange(int(ix[0]), int(ix[0]) + n, device=ix.device)).all()):
        a = int(ix[0])
        return data.x[a:a + n], data.y[a:a + n]
    return data.x[ix], data.y[ix]


def build_simulation(config: Config) -> Simulation:
    """Validate ``config``, load the data, build the model and everything else; errors a user can
    cause are ConfigErrors naming the option."""
    from ..registries import ALGORITHMS, DATASETS, MODELS
    config.validate()
    algorithm = ALGORITHMS.get(config.algorithm)
    options = parse_algorithm_options(algorithm, config.algorithm_options)
    uplink = parse_compressor(config.client_compressor)
    device = parse_devices(config.gpu)[0]
    dtype = DTYPES[config.compute_type]
    dataset = DATASETS.get(config.dataset)(config)
    check_sampling(config.client_sampling_type, dataset.num_clients, config.num_clients_per_round)
    sizes = dataset.client_sizes()
    weights = sizes / sizes.sum() if config.client_weights == "data-size" \
        else torch.full((dataset.num_clients,), 1.0 / dataset.num_clients, dtype=torch.float64)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.manual_init_seed)
        model = MODELS.get(config.model)(dataset).to(device=device, dtype=dtype)
    reg = REGULARIZERS.get(config.global_regulizer)
    oracle = build_oracle(model, config.loss, LOSSES.get(config.loss), reg,
                          config.global_regulizer_alpha, dataset.output_dim)
    x0 = oracle.layout.flatten(model).clone()
    solution = None
    l2 = reg.l2_alpha(config.global_regulizer_alpha)
    if dataset.solution is not None and l2 == l2:  # NaN: no closed form
        solution = dataset.solution(weights, l2).to(device=device, dtype=dtype)
    data = dataset.to(device, dtype)
    return Simulation(config=config, algorithm=algorithm, options=options, dataset=data,
                      oracle=oracle, uplink=uplink, device=device, dtype=dtype,
                      weights=weights.to(device=device, dtype=dtype), x0=x0, solution=solution,
                      client_data=[_client_view(data, ix) for ix in data.client_indices])
