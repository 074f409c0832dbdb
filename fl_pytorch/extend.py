"""The whole extension contract in one import: ``from fl_pytorch.extend import ...``.

Write a module that defines and registers your algorithm, compressor, dataset or model with the
names below, then run it with ``./run.sh --plugins your_module`` (or install it with an entry
point in the ``fl_pytorch.plugins`` group). TUTORIAL.md, sections 4 to 7, has one worked example
of each; ``fl_pytorch/core/hooks.py`` types the eight hooks.
"""

from .algorithms import ALGORITHMS, register_algorithm
from .algorithms.fedavg import FEDAVG
from .compressors import Compressed, Compressor, index_bits, register_compressor, value_bits
from .compressors.base import CompressedBatch, row_draws, same_bits
from .core.algorithm import (
    Algorithm,
    batchable,
    broadcast_nothing,
    direction_sum,
    keep_state,
    minus_mean_delta,
    no_client_state,
    no_state,
    optimizer_step,
    plain_gradient,
    send_model_delta,
    server_optimizer_step,
    summing,
    zero_client_state,
    zero_server_state,
)
from .core.algorithm_options import AlgoOption, flag, fraction, positive
from .core.callbacks import Callback, RunInfo
from .core.context import ClientContext, ServerContext
from .core.hooks import (
    ClientOpt,
    ClientStateHook,
    InitClientState,
    InitServerState,
    LocalGradient,
    LocalState,
    RoundStart,
    ServerGlobalState,
    ServerGradient,
    ServerOpt,
    State,
    Tensor,
    Work,
)
from .core.theory import Setting, StepSizes
from .data import FederatedDataset, register_dataset
from .data.centralized import federate
from .errors import ConfigError
from .models import register_model

__all__ = [
    "ALGORITHMS", "FEDAVG", "AlgoOption", "Algorithm", "Callback", "ClientContext", "ClientOpt",
    "ClientStateHook", "Compressed", "CompressedBatch", "Compressor", "ConfigError",
    "FederatedDataset", "InitClientState", "InitServerState", "LocalGradient", "LocalState",
    "RoundStart", "RunInfo", "ServerContext", "ServerGlobalState", "ServerGradient",
    "ServerOpt", "Setting", "State", "StepSizes", "Tensor", "Work", "batchable",
    "broadcast_nothing", "direction_sum", "federate", "flag", "fraction", "index_bits",
    "keep_state", "minus_mean_delta", "no_client_state", "no_state", "optimizer_step",
    "plain_gradient", "positive", "register_algorithm", "register_compressor",
    "register_dataset", "register_model", "row_draws", "same_bits", "send_model_delta",
    "server_optimizer_step", "summing", "value_bits", "zero_client_state", "zero_server_state",
]
