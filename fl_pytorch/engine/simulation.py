"""Turn a validated Config into everything the round loop needs (the simulation setup)."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..compressors import Compressor, parse_compressor
from ..config import Config
from ..core.algorithm import Algorithm
from ..core.algorithm_options import parse_algorithm_options
from ..core.batches import batch_size_of, steps_of
from ..core.losses import LOSSES, REGULARIZERS
from ..core.model_check import check_fit
from ..core.oracle import ModuleOracle, build_oracle
from ..core.sampling import check_sampling
from ..core.setup_checks import (
    DTYPES,
    check_compute_type,
    check_metric,
    scaled_x0,
)
from ..core.theory import (
    Setting,
    StepSizes,
    expected_clients,
    problem_constants,
    selected_step_sizes,
)
from ..data.federated import FederatedDataset
from ..data.lazy import LazyRows
from ..data.sparse import SparseRows, dense_copy
from ..execution.spec import ExecutorSpec, parse_executor_spec
from ..heterogeneity import SystemModel
from ..models.options import apply_model_options
from ..utils.devices import parse_devices
from ..vectorized import check_vectorized
from .compat import (
    adapt_uplink,
    check_local_steps,
    check_participation,
    check_system,
    server_optimiser,
)
from .option_use import unused_options

#: models whose closed-form oracles take sparse samples as they are (``core/glm.py``)
SPARSE_MODELS = ("linear", "logistic_regression")


@dataclass(frozen=True)
class LocalTraining:
    """How clients train locally, parsed once from the options."""

    optimiser: str  # --local-optimiser
    momentum: float  # --local-momentum
    weight_decay: float  # --local-weight-decay
    iterations: int  # -li: local steps, or epochs
    steps_mode: bool  # --run-local-steps: -li counts steps
    batch_size: int  # -b, the minibatch of internal_sgd:sgd
    seed: int  # --manual-runtime-seed: the clients' random streams

    @classmethod
    def of(cls, config: Config) -> LocalTraining:
        """The local training that ``config`` describes."""
        return cls(config.local_optimiser, config.local_momentum, config.local_weight_decay,
                   config.number_of_local_iters, config.run_local_steps, config.batch_size,
                   config.manual_runtime_seed)


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
    solution: torch.Tensor | None
    client_data: Sequence[tuple[torch.Tensor, torch.Tensor]]
    downlink: Compressor  # --server-compressor
    setting: Setting  # the constants theory needs
    global_lr: float  # --global-lr, or the theoretical step size
    local_lr: float  # --local-lr, or the theoretical one (local methods)
    server_optimiser: str  # --global-optimiser, or the algorithm's fixed one (FedOpt)
    step_sizes: StepSizes | None = None  # set when th_stepsize_cvx/noncvx selected them
    devices: list[torch.device] = dataclasses.field(default_factory=list)  # --gpu, parsed once
    local: LocalTraining | None = None  # how clients train, parsed once
    executor_spec: ExecutorSpec = ExecutorSpec("sequential")  # --threadpool-for-local-opt
    system: SystemModel | None = None  # simulated devices, dropout, deadline (heterogeneity/)

    @property
    def num_clients(self) -> int:
        return self.dataset.num_clients

    @property
    def dim(self) -> int:
        return self.x0.numel()

    @functools.cached_property
    def max_local_steps(self) -> int:
        """The most local steps a client takes in a round (-li, epochs, the estimator's batch)."""
        cfg = self.config
        if not self.algorithm.local_steps:
            return 1
        return max(steps_of(self.options["internal_sgd"], len(ix), cfg.batch_size,
                                   self.options["tau"], cfg.number_of_local_iters,
                                   cfg.run_local_steps) for ix in self.dataset.client_indices)

    def on_device(self, device: torch.device) -> Simulation:
        """This simulation with its data copied once to ``device`` (itself when already there)."""
        if torch.device(device) == self.device:
            return self
        data = self.dataset.to(device, self.dtype)
        return dataclasses.replace(
            self, dataset=data, device=torch.device(device),
            client_data=client_views(data), weights=self.weights.to(device), x0=self.x0.to(device),
            solution=None if self.solution is None else self.solution.to(device))

    def problem_info(self) -> dict[str, Any]:
        info = {"name": self.dataset.name, "dimension": self.dim,
                "num_clients": self.num_clients,
                "samples_per_client": [len(ix) for ix in self.dataset.client_indices]}
        info.update(self.dataset.info)
        if self.solution is not None:
            info["solution"] = self.solution.cpu().double().numpy()
        if self.step_sizes is not None:
            info["theoretical_step_sizes"] = {"global_lr": self.step_sizes.global_lr,
                                              "local_lr": self.step_sizes.local_lr}
        return info


class LazyClientViews(Sequence):
    """``client_data`` of lazily read samples (``data/lazy.py``): a client's samples when asked."""

    def __init__(self, data: FederatedDataset):
        self.data = data

    def __len__(self) -> int:
        return self.data.num_clients

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return _client_view(self.data, self.data.client_indices[i])


def client_views(data: FederatedDataset) -> Sequence[tuple[torch.Tensor, torch.Tensor]]:
    """Every client's (inputs, targets): views made now, or on demand for lazy samples."""
    if isinstance(data.x, LazyRows):
        return LazyClientViews(data)
    return [_client_view(data, ix) for ix in data.client_indices]


def _client_view(data: FederatedDataset, ix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The client's samples: a zero-copy slice when its indices are contiguous."""
    n = ix.numel()
    if n and bool((ix == torch.arange(int(ix[0]), int(ix[0]) + n, device=ix.device)).all()):
        a = int(ix[0])
        return data.x[a:a + n], data.y[a:a + n]
    return data.x[ix], data.y[ix]


def build_simulation(config: Config) -> Simulation:
    """Validate ``config``, load the data, build the model and everything else.

    Errors a user can cause are ConfigErrors naming the option.
    """
    from ..registries import ALGORITHMS, DATASETS
    config.validate()
    algorithm = ALGORITHMS.get(config.algorithm)
    options = parse_algorithm_options(algorithm, config.algorithm_options)
    uplink = adapt_uplink(algorithm, parse_compressor(config.client_compressor))
    downlink = parse_compressor(config.server_compressor, "--server-compressor")
    server_opt = server_optimiser(algorithm, config.global_optimiser)
    check_local_steps(algorithm, config.number_of_local_iters)
    devices = parse_devices(config.gpu)
    device = devices[0]
    dtype = DTYPES[config.compute_type]
    dataset = DATASETS.get(config.dataset)(config)
    system = _participation(config, algorithm, dataset.num_clients)
    sizes = dataset.client_sizes()
    weights = sizes / sizes.sum() if config.client_weights == "data-size" \
        else torch.full((dataset.num_clients,), 1.0 / dataset.num_clients, dtype=torch.float64)
    dataset, model, oracle = _model_and_oracle(config, dataset, device, dtype)
    reg = oracle.reg
    x0 = scaled_x0(oracle.layout.flatten(model).clone(), options, config.model)
    solution = None
    l2 = reg.l2_alpha(config.global_regulizer_alpha)
    if dataset.solution is not None and l2 == l2:  # NaN: no closed form
        solution = dataset.solution(weights, l2).to(device=device, dtype=dtype)
    check_metric(config, dataset, solution is not None)
    setting = _setting(config, dataset, weights, uplink, x0.numel(), l2, options)
    if algorithm.resolve_options is not None:
        options = algorithm.resolve_options(options, setting)
    step_sizes = selected_step_sizes(algorithm, options, setting)
    global_lr, local_lr = config.global_lr, config.local_lr
    if step_sizes is not None:
        global_lr, local_lr = step_sizes.global_lr, step_sizes.local_lr or local_lr
    data = dataset.to(device, dtype)
    check_fit(config, data, oracle, x0)
    check_compute_type(config, oracle, data, x0, {"--client-compressor": uplink,
                                                  "--server-compressor": downlink}, device)
    for line in unused_options(config, algorithm, options):
        logging.getLogger("fl_pytorch").warning(line)
    if "check_setup" in algorithm.extra:  # e.g. FedNL: an exact Hessian oracle
        algorithm.extra["check_setup"](config, oracle, data)
    sim = Simulation(config=config, algorithm=algorithm, options=options, dataset=data,
                      oracle=oracle, uplink=uplink, device=device, dtype=dtype,
                      weights=weights.to(device=device, dtype=dtype), x0=x0, solution=solution,
                      client_data=client_views(data),
                      downlink=downlink, setting=setting, global_lr=global_lr,
                      local_lr=local_lr, server_optimiser=server_opt, step_sizes=step_sizes,
                      devices=devices, local=LocalTraining.of(config),
                      executor_spec=parse_executor_spec(config.threadpool_for_local_opt),
                      system=system)
    check_vectorized(sim)
    return sim


def _participation(config: Config, algorithm: Algorithm, num_clients: int) -> SystemModel:
    """Check who may take part in a round (sampling, dropout, deadline); the system model."""
    check_sampling(config.client_sampling_type, num_clients, config.num_clients_per_round)
    check_participation(algorithm, config.client_sampling_type, num_clients,
                        config.num_clients_per_round, config.client_sampling_poisson)
    check_system(algorithm, config)
    return SystemModel.from_config(config, num_clients)


def _model_and_oracle(config: Config, dataset: FederatedDataset, device: torch.device,
                      dtype: torch.dtype) -> tuple[FederatedDataset, Any, ModuleOracle]:
    """The model (seeded by ``--manual-init-seed``), its oracle, and the dataset.

    The samples stay sparse only for an oracle that takes them so (the linear closed forms).
    """
    from ..registries import MODELS
    sparse = isinstance(dataset.x, SparseRows)
    if sparse and not (config.model in SPARSE_MODELS and config.loss in ("mse", "logistic")):
        dataset = dense_copy(dataset, config.model)  # before a model that may not fit either
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.manual_init_seed)
        model = apply_model_options(MODELS.get(config.model)(dataset), config)
    model = model.to(device=device, dtype=dtype)
    oracle = build_oracle(model, config.loss, LOSSES.get(config.loss),
                          REGULARIZERS.get(config.global_regulizer),
                          config.global_regulizer_alpha, dataset.output_dim,
                          train_mode=not config.turn_off_batch_normalization_and_dropout)
    if isinstance(dataset.x, SparseRows) and not oracle.sparse_inputs:
        dataset = dense_copy(dataset, config.model)  # a linear model without a closed form
    return dataset, model, oracle


def _setting(config: Config, dataset: FederatedDataset, weights: torch.Tensor,
             uplink: Compressor, dim: int, l2: float, options: dict[str, Any]) -> Setting:
    sizes = [len(ix) for ix in dataset.client_indices]
    return Setting(
        dataset=config.dataset, num_clients=dataset.num_clients, dim=dim, uplink=uplink,
        clients_per_round=expected_clients(config.client_sampling_type, dataset.num_clients,
                                           config.num_clients_per_round,
                                           config.client_sampling_poisson),
        weights=tuple(weights.tolist()), samples_per_client=tuple(sizes),
        batch_sizes=tuple(batch_size_of(options["internal_sgd"], n, config.batch_size,
                                        options["tau"]) or n for n in sizes),
        constants=problem_constants(dataset.info, l2), seed=config.manual_runtime_seed)
