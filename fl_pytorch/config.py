"""The one typed configuration object.

Every option has a default, help text, a group (the paper's grouping), optional valid choices and a
check. The command line (``cli.py``), the JSON files and the GUI are all generated from / checked
against :data:`OPTIONS`, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

GROUPS = {
    "server": "Server optimizer",
    "local": "Local optimizer",
    "data": "Model and data",
    "system": "System setup",
}


def _opt(default: Any, flags: Sequence[str], help: str, group: str,
         choices: Callable[[], list[str]] | list[str] | None = None,
         check: Callable[[Any], str | None] | None = None, metavar: str | None = None):
    """Declare one option; ``check(value)`` returns an error text or None."""
    return field(default=default, metadata=dict(flags=tuple(flags), help=help, group=group,
                                                choices=choices, check=check, metavar=metavar))


def _positive(v: float) -> str | None:
    return None if v > 0 else "must be > 0"


def _non_negative(v: float) -> str | None:
    return None if v >= 0 else "must be >= 0"


def _at_least_one(v: int) -> str | None:
    return None if v >= 1 else "must be an integer >= 1"


def _probability(v: float) -> str | None:
    return None if 0 < v <= 1 else "must be a probability in (0, 1]"


def _lazy(registry_path: str) -> Callable[[], list[str]]:
    """Choices read from a registry at validation time (avoids import cycles)."""
    def names() -> list[str]:
        from . import registries
        return getattr(registries, registry_path).names()
    return names


def _check_compressor(spec: str) -> str | None:
    from .compressors import parse_compressor
    try:
        parse_compressor(spec)
    except ConfigError as e:
        return str(e).split(": ", 1)[-1]
    return None


def _check_extra_track(value: str) -> str | None:
    from .core.metrics import EXTRA_METRICS
    bad = [m for m in _split(value) if m not in EXTRA_METRICS]
    return f"unknown metric {bad[0]!r}; valid: {', '.join(EXTRA_METRICS)}" if bad else None


def _metric_names() -> list[str]:
    from .core.metrics import EVAL_METRICS
    return list(EVAL_METRICS)


def _check_partition(spec: str) -> str | None:
    from .data.partition import parse_partition
    try:
        parse_partition(spec)
    except ConfigError as e:
        return str(e).split("; ", 1)[-1]
    return None


def _check_devices(value: str) -> str | None:
    from .utils.devices import parse_devices
    try:
        parse_devices(value)
    except ConfigError as e:  # "--gpu: invalid value 'x'; why": keep the why
        return str(e).split("; ", 1)[-1]
    return None


def _check_threads(value: str | int) -> str | None:
    ok = str(value) == "auto" or str(value).isdigit()
    return None if ok else "valid: auto or an integer >= 0 (0 = sequential)"


def _check_external_devices(value: str) -> str | None:
    from .distributed.addresses import parse_external_devices
    try:
        parse_external_devices(value)
    except ConfigError as e:
        return str(e).split("; ", 1)[-1]
    return None


def _check_master_addr(value: str) -> str | None:
    if value and value not in ("0.0.0.0", "::"):
        return None
    return "give an address of this machine that the workers can reach (e.g. 10.0.0.1)"


def _check_port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "valid: 0 (any free port) .. 65535"


def _check_resume(value: str) -> str | None:
    return None if not value or Path(value).is_file() else "no such checkpoint file"


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


LR_SCHEDULES = ["static", "cosine", "step"]
OPTIMISERS = ["sgd", "momentum", "adam", "rmsprop", "adagrad", "yogi"]


@dataclass
class Config:
    """All options of one simulation. Field order is the order of ``--help``."""

    # --- server optimizer ---
    rounds: int = _opt(100, ["--rounds"], "number of communication rounds", "server",
                       check=_at_least_one)
    client_sampling_type: str = _opt(
        "uniform", ["--client-sampling-type"],
        "client sampling: uniform (k clients without replacement), poisson (each client with "
        "probability p), full (every client every round)", "server",
        choices=["uniform", "poisson", "full"])
    num_clients_per_round: int = _opt(10, ["--num-clients-per-round"],
                                      "clients per round for uniform sampling", "server",
                                      check=_at_least_one)
    client_sampling_poisson: float = _opt(0.5, ["--client-sampling-poisson"],
                                          "participation probability p for poisson sampling",
                                          "server", check=_probability)
    global_lr: float = _opt(1.0, ["--global-lr"], "server learning rate (step size)", "server",
                            check=_positive)
    global_lr_type: str = _opt("static", ["--global-lr-type"],
                               "server learning-rate schedule over rounds: static, cosine "
                               "(to 0 at the last round), step (x0.1 at 50%% and 75%% of rounds)",
                               "server", choices=LR_SCHEDULES)
    global_optimiser: str = _opt("sgd", ["--global-optimiser", "--global-optimizer"],
                                 "server optimizer applied to the aggregated direction "
                                 "(torch.optim; yogi: core/optim.py)", "server",
                                 choices=OPTIMISERS)
    global_momentum: float = _opt(0.9, ["--global-momentum"],
                                  "momentum of the 'momentum' server optimizer", "server",
                                  check=_non_negative)
    global_weight_decay: float = _opt(0.0, ["--global-weight-decay"],
                                      "server optimizer weight decay", "server",
                                      check=_non_negative)
    algorithm: str = _opt("fedavg", ["--algorithm"], "federated optimization algorithm", "server",
                          choices=_lazy("ALGORITHMS"))
    algorithm_options: str = _opt(
        "", ["--algorithm-options"],
        "algorithm options as key:value,key,... e.g. internal_sgd:full-gradient or "
        "internal_sgd:sgd-nice,tau:10%% or mu_prox:0.1 (run --help-algorithm NAME for each "
        "algorithm's keys)", "server", metavar="OPTS")
    client_compressor: str = _opt(
        "ident", ["--client-compressor"],
        "uplink compressor spec: ident, bernulli:p, randk:k|P%%, natural, std.dithering:s[:p], "
        "nat.dithering:s[:p], qsgd:s, terngrad, topk:k|P%%, rank_k:k|P%%; stages of unbiased "
        "compressors chain with + (e.g. randk:10%%+natural); see docs/compressors.md", "server",
        check=_check_compressor, metavar="SPEC")
    server_compressor: str = _opt(
        "ident", ["--server-compressor"],
        "downlink compressor spec (same syntax): ident sends the model and broadcast state at "
        "full precision; another compressor C sends C(v - r) of each broadcast vector v against "
        "the replica r the clients hold (error feedback, EF21-P); see docs/algorithms.md",
        "server", check=_check_compressor, metavar="SPEC")

    # --- local optimizer ---
    run_local_steps: bool = _opt(False, ["--run-local-steps"],
                                 "-li counts local steps instead of local epochs", "local")
    number_of_local_iters: int = _opt(1, ["-li", "--number-of-local-iters"],
                                      "local epochs (or steps with --run-local-steps) per round",
                                      "local", check=_at_least_one)
    batch_size: int = _opt(32, ["-b", "--batch-size"],
                           "minibatch size of the 'sgd' local gradient estimator", "local",
                           check=_at_least_one)
    local_lr: float = _opt(0.1, ["--local-lr"], "client learning rate", "local", check=_positive)
    local_lr_type: str = _opt("static", ["--local-lr-type"],
                              "client learning-rate schedule over rounds (as --global-lr-type)",
                              "local", choices=LR_SCHEDULES)
    local_optimiser: str = _opt("sgd", ["--local-optimiser", "--local-optimizer"],
                                "client optimizer (torch.optim; state reset every round)",
                                "local", choices=OPTIMISERS)
    local_momentum: float = _opt(0.9, ["--local-momentum"],
                                 "momentum of the 'momentum' client optimizer", "local",
                                 check=_non_negative)
    local_weight_decay: float = _opt(0.0, ["--local-weight-decay"],
                                     "client optimizer weight decay", "local",
                                     check=_non_negative)

    # --- model and data ---
    dataset: str = _opt("digits", ["--dataset"],
                        "federated dataset (docs/datasets.md; digits ships with scikit-learn)",
                        "data", choices=_lazy("DATASETS"))
    dataset_generation_spec: str = _opt(
        "", ["--dataset-generation-spec"],
        "generator parameters of synthetic datasets, key:value,... e.g. "
        "clients:10,samples_per_client:100,variables:20,homogeneous:0,l:2,mu:1", "data",
        metavar="SPEC")
    data_path: str = _opt("data", ["--data-path"],
                          "folder of the dataset files (for --dataset libsvm: the LIBSVM file)",
                          "data", metavar="PATH")
    num_clients: int = _opt(0, ["--num-clients"],
                            "clients of a centralized dataset, split by --partition (0 = the "
                            "dataset's default: 10; 1 for cifar10, cifar100, emnist, "
                            "full_shakespeare); for femnist, shakespeare, cifar100_fl: keep the "
                            "first N natural clients (0 = all)", "data", check=_non_negative)
    partition: str = _opt("iid", ["--partition"],
                          "how a centralized dataset is split among clients: iid, equal (iid "
                          "with floor(N/clients) samples each, the rest dropped, as uFedNL), "
                          "sorted (by class, contiguous), shards:S (S class-sorted shards per "
                          "client), dirichlet:ALPHA (label skew)", "data", check=_check_partition,
                          metavar="SPEC")
    no_intercept: bool = _opt(False, ["--no-intercept"],
                              "LIBSVM datasets: do not prepend the constant feature 1 (the "
                              "intercept of the bias-free linear models)", "data")
    sort_dataset_by_class_before_split: bool = _opt(
        False, ["--sort-dataset-by-class-before-split"],
        "the original tool's flag: the same as --partition sorted", "data")
    offline: bool = _opt(False, ["--offline"],
                         "never download datasets or pretrained weights (missing files are an "
                         "error that says how to get them)", "data")
    model: str = _opt("small_cnn", ["--model"], "model (docs/models.md)", "data",
                      choices=_lazy("MODELS"))
    use_pretrained: bool = _opt(False, ["--use-pretrained"],
                                "start a tv_resnet* model from torchvision's ImageNet weights "
                                "(looked for in $TORCH_HOME/hub/checkpoints)", "data")
    train_last_layer: bool = _opt(False, ["--train-last-layer"],
                                  "train only the model's last layer; the other layers are "
                                  "frozen and not part of the parameter vector", "data")
    turn_off_batch_normalization_and_dropout: bool = _opt(
        False, ["--turn-off-batch-normalization-and-dropout"],
        "run the model in eval mode also while training: batch norm uses its fixed initial "
        "statistics and dropout is off", "data")
    loss: str = _opt("crossentropy", ["--loss"], "loss function", "data",
                     choices=_lazy("LOSSES"))
    metric: str = _opt("top1_acc", ["--metric"],
                       "headline metric shown in the progress bar and the final summary (loss "
                       "is shown when the run does not compute it)", "data",
                       choices=_metric_names)
    global_regulizer: str = _opt("none", ["--global-regulizer", "--global-regularizer"],
                                 "regularizer added to every client's loss", "data",
                                 choices=_lazy("REGULARIZERS"))
    global_regulizer_alpha: float = _opt(0.0, ["--global-regulizer-alpha",
                                               "--global-regularizer-alpha"],
                                         "regularizer strength alpha", "data",
                                         check=_non_negative)
    client_weights: str = _opt("uniform", ["--client-weights"],
                               "weights w_i of f = sum_i w_i f_i: uniform (1/n) or data-size "
                               "(n_i / N)", "data", choices=["uniform", "data-size"])

    # --- system setup ---
    gpu: str = _opt("-1", ["--gpu"], "comma-separated device ids, -1 = CPU (e.g. 0,1,-1)",
                    "system", check=_check_devices, metavar="IDS")
    threadpool_for_local_opt: str = _opt(
        "auto", ["--threadpool-for-local-opt"],
        "worker threads per device for local training: 0 = sequential (the reference), N, or "
        "auto (times sequential against the pools in the first rounds and keeps the faster; "
        "the FedNL family runs all clients batched instead); results are bit-identical "
        "whatever the choice (batched: equal up to floating-point summation order)", "system",
        check=_check_threads,
        metavar="N|auto")
    intra_op_threads: int = _opt(1, ["--intra-op-threads"],
                                 "PyTorch CPU threads of each computation (client, evaluation, "
                                 "server step); results are identical for any thread pool or "
                                 "device list at a fixed value, another value may change the "
                                 "last bits on CPU", "system", check=_at_least_one)
    eval_async_threads: int = _opt(0, ["--eval-async-threads"],
                                   "threads evaluating snapshots of x while training goes on "
                                   "(0 = evaluate in the round loop)", "system",
                                   check=_non_negative)
    save_async_threads: int = _opt(0, ["--save-async-threads"],
                                   "threads writing checkpoints while training goes on "
                                   "(0 = write in the round loop)", "system", check=_non_negative)
    checkpoint_dir: str = _opt("", ["--checkpoint-dir"],
                               "folder of checkpoints (<result name>.ckpt); setting it or "
                               "--checkpoint-every enables checkpoints, also written when the "
                               "run is stopped or interrupted (default folder: checkpoints)",
                               "system", metavar="DIR")
    checkpoint_every: int = _opt(0, ["--checkpoint-every"],
                                 "write a checkpoint every N rounds (0 = only on stop/Ctrl-C)",
                                 "system", check=_non_negative)
    resume_from: str = _opt("", ["--resume-from"],
                            "continue the run saved in this checkpoint (its options are the "
                            "defaults; only system options may differ)", "system",
                            check=_check_resume, metavar="FILE")
    external_devices: str = _opt(
        "", ["--external-devices"],
        "run the clients on remote workers, host:port:device,... (the original tool's syntax; "
        "start each worker with ./run.sh worker --port PORT); this process aggregates and "
        "evaluates; see docs/remote.md", "system", check=_check_external_devices,
        metavar="HOST:PORT:DEVICE,...")
    master_addr: str = _opt("127.0.0.1", ["--master-addr"],
                            "address of this machine that remote workers connect to for tensors "
                            "(torch.distributed store and Gloo); nothing listens elsewhere",
                            "system", check=_check_master_addr, metavar="ADDR")
    master_port: int = _opt(0, ["--master-port"],
                            "port of the torch.distributed store of a remote run (0 = any free "
                            "port)", "system", check=_check_port)
    remote_secret_file: str = _opt("", ["--remote-secret-file"],
                                   "file whose first line is the secret shared with the remote "
                                   "workers (default: $FL_PYTORCH_SECRET)", "system",
                                   metavar="FILE")
    remote_timeout: float = _opt(120.0, ["--remote-timeout"],
                                 "seconds a remote worker may stay silent, or in a round finish "
                                 "no client, before the run fails naming it (and writes a "
                                 "checkpoint to resume from)", "system", check=_positive,
                                 metavar="SECONDS")
    remote_messages: str = _opt(
        "per-client", ["--remote-messages"],
        "what remote workers send back: per-client messages (results bit-identical to a local "
        "run) or summed (one weighted sum per worker: less traffic, equal up to float "
        "summation order)", "system", choices=["per-client", "summed"])
    log_gpu_usage: bool = _opt(False, ["--log-gpu-usage"],
                               "log CPU, RAM and GPU use every --eval-every rounds", "system")
    compute_type: str = _opt("fp32", ["--compute-type"], "floating-point type of the simulation",
                             "system", choices=["fp32", "fp64"])
    manual_init_seed: int = _opt(123, ["--manual-init-seed"],
                                 "seed of the model initialization", "system")
    manual_runtime_seed: int = _opt(456, ["--manual-runtime-seed"],
                                    "seed of client sampling, minibatches and compressors",
                                    "system")
    deterministic: bool = _opt(False, ["--deterministic"],
                               "also make PyTorch use deterministic algorithms", "system")
    eval_every: int = _opt(1, ["--eval-every"], "evaluate metrics every N rounds (and at the end)",
                           "system", check=_at_least_one)
    extra_track: str = _opt("", ["--extra-track"],
                            "extra (costly) metrics, comma-separated: full_gradient_norm_train, "
                            "full_objective_value_train, objective_gap_train", "system",
                            check=_check_extra_track,
                            metavar="METRICS")
    group_name: str = _opt("", ["--group-name"],
                           "group label (runs of one group, e.g. seeds, plot as mean +- std)",
                           "system")
    comment: str = _opt("", ["--comment"], "free-text comment stored with the results", "system")
    run_id: str = _opt("", ["--run-id"], "run identifier (default: time stamp)", "system")
    out: str = _opt("", ["--out"], "result file (default: results/<algorithm>_<run-id>.bin)",
                    "system", metavar="FILE")
    loglevel: str = _opt("INFO", ["--loglevel"], "log level", "system",
                         choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    logfile: str = _opt("", ["--logfile"], "also write the log to this file", "system",
                        metavar="FILE")
    quiet: bool = _opt(False, ["--quiet"], "no progress bar or summary on the terminal", "system")

    # ------------------------------------------------------------------ validation
    def field_errors(self) -> dict[str, str]:
        """Every invalid option mapped to its message (used by the GUI to flag fields)."""
        errors: dict[str, str] = {}
        for f in dataclasses.fields(self):
            msg = check_value(f.name, getattr(self, f.name))
            if msg:
                errors[f.name] = msg
        if not errors:
            errors.update(self._cross_errors())
        return errors

    def _cross_errors(self) -> dict[str, str]:
        from .core.algorithm_options import AlgorithmOptionsError, parse_algorithm_options
        from .registries import ALGORITHMS
        try:
            parse_algorithm_options(ALGORITHMS.get(self.algorithm), self.algorithm_options)
        except AlgorithmOptionsError as e:
            return {"algorithm_options": str(e)}
        return {}

    def validate(self) -> Config:
        """Raise one ConfigError for the first invalid option; return self when all is well."""
        errors = self.field_errors()
        if errors:
            raise ConfigError(next(iter(errors.values())))
        return self

    # ------------------------------------------------------------------ conversions
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Build from a dict of field names; unknown keys are an error listing the valid ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k not in known]
        if unknown:
            raise ConfigError(f"config: unknown option {unknown[0]!r}; valid: {', '.join(known)}")
        values = {k: coerce(k, v) for k, v in data.items()}
        return cls(**values)

    def save_json(self, path: str | Path) -> None:
        from .utils.atomic import atomic_write_bytes
        atomic_write_bytes(path, json.dumps(self.to_dict(), indent=2).encode())

    @classmethod
    def load_json(cls, path: str | Path) -> Config:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"--config: cannot read {str(path)!r}: {e}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"--config: {str(path)!r} must hold a JSON object of options")
        return cls.from_dict(data)

    def to_argv(self) -> list[str]:
        """The command-line arguments that reproduce this config (non-default options only)."""
        argv: list[str] = []
        default = Config()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            flag = primary_flag(f)
            if isinstance(value, bool):
                argv.append(flag)
            else:
                argv += [flag, str(value)]
        return argv

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


OPTIONS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Config)}


def primary_flag(f: dataclasses.Field) -> str:
    """The first long flag of an option (the original tool's spelling)."""
    return next(fl for fl in f.metadata["flags"] if fl.startswith("--"))


def choices_of(name: str) -> list[str] | None:
    """Valid choices of option ``name`` (None when free-form)."""
    choices = OPTIONS[name].metadata["choices"]
    return choices() if callable(choices) else choices


def coerce(name: str, value: Any) -> Any:
    """Convert a JSON/GUI value to the option's type, or raise a ConfigError naming the option."""
    f = OPTIONS[name]
    kind = type(f.default)
    flag = primary_flag(f)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{flag}: invalid value {value!r}; expected true or false")
    try:
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{flag}: invalid value {value!r}; expected {kind.__name__}") from None


def check_value(name: str, value: Any) -> str | None:
    """The error message for ``value`` of option ``name`` (flag, value, valid choices), or None."""
    f = OPTIONS[name]
    flag = primary_flag(f)
    choices = choices_of(name)
    if choices is not None and value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" did you mean {close[0]!r}?" if close else ""
        return f"{flag}: invalid value {value!r};{hint} valid choices: {', '.join(choices)}"
    check = f.metadata["check"]
    msg = check(value) if check else None
    return f"{flag}: invalid value {value!r}; {msg}" if msg else None
