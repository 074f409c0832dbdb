"""The option fields of :class:`fl_pytorch.config.Config`: default, flags, help, group, choices.

Field order is the order of ``--help`` and of the GUI's form within each group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config_checks import (
    at_least_one,
    check_compressor,
    check_devices,
    check_external_devices,
    check_extra_track,
    check_master_addr,
    check_partition,
    check_port,
    check_regex,
    check_resume,
    check_threads,
    lazy,
    metric_names,
    non_negative,
    positive,
    probability_or_zero,
)
from .plugins import check_plugins

GROUPS = {
    "server": "Server optimizer",
    "local": "Local optimizer",
    "data": "Model and data",
    "system": "System setup",
}


def _opt(default: Any, flags: Sequence[str], help: str, group: str,
         choices: Callable[[], list[str]] | list[str] | None = None,
         check: Callable[[Any], str | None] | None = None, metavar: str | None = None,
         aliases: dict[str, str] | None = None):
    """Declare one option; ``check(value)`` returns an error text or None.

    ``aliases`` maps other spellings (the original tool's) to a choice; choices also match in
    any letter case (the original GUI writes e.g. ``SGD``, ``GRADSKIP``, ``CROSSENTROPY``).
    """
    return field(default=default, metadata=dict(flags=tuple(flags), help=help, group=group,
                                                choices=choices, check=check, metavar=metavar,
                                                aliases=aliases or {}))


def _check_profile(spec: str) -> str | None:
    from .heterogeneity.profiles import check_profile
    return check_profile(spec)


def _check_dropout(p: float) -> str | None:
    return None if 0 <= p < 1 else "must be a probability in [0, 1)"


LR_SCHEDULES = ["static", "cosine", "step", "cifar_1", "cifar_2"]
OPTIMISERS = ["sgd", "momentum", "adam", "rmsprop", "adagrad", "yogi"]


@dataclass
class Options:
    """All options of one simulation (the fields of ``Config``)."""

    # --- server optimizer ---
    rounds: int = _opt(100, ["--rounds"], "number of communication rounds", "server",
                       check=at_least_one)
    client_sampling_type: str = _opt(
        "uniform", ["--client-sampling-type"],
        "client sampling: uniform (k clients without replacement), poisson (each client with "
        "probability p), poisson-no-empty (poisson conditioned on at least one client), full "
        "(every client every round)", "server",
        choices=["uniform", "poisson", "poisson-no-empty", "full"])
    num_clients_per_round: int = _opt(10, ["--num-clients-per-round"],
                                      "clients per round for uniform sampling", "server",
                                      check=at_least_one)
    client_sampling_poisson: float = _opt(0.5, ["--client-sampling-poisson"],
                                          "participation probability p of poisson sampling",
                                          "server", check=probability_or_zero)
    global_lr: float = _opt(1.0, ["--global-lr"], "server learning rate (step size)", "server",
                            check=positive)
    global_lr_type: str = _opt("static", ["--global-lr-type"],
                               "server learning-rate schedule over rounds: static, cosine "
                               "(to 0 at the last round), step (x0.1 at 50%% and 75%% of "
                               "rounds), cifar_1 (x0.1 from rounds int(0.5R), int(0.75R)), "
                               "cifar_2 (x0.2 from rounds int(0.3R), int(0.6R), int(0.8R))",
                               "server", choices=LR_SCHEDULES)
    global_optimiser: str = _opt("sgd", ["--global-optimiser", "--global-optimizer"],
                                 "server optimizer applied to the aggregated direction "
                                 "(torch.optim; yogi: core/optim.py)", "server",
                                 choices=OPTIMISERS)
    global_momentum: float = _opt(0.0, ["--global-momentum"],
                                  "heavy-ball momentum of the sgd and rmsprop server optimizers "
                                  "(torch.optim, as the original tool) and of 'momentum' (there "
                                  "0 means 0.9)", "server", check=non_negative)
    global_weight_decay: float = _opt(0.0, ["--global-weight-decay"],
                                      "server optimizer weight decay", "server",
                                      check=non_negative)
    algorithm: str = _opt("fedavg", ["--algorithm"], "federated optimization algorithm", "server",
                          choices=lazy("ALGORITHMS"))
    initialize_shifts_policy: str = _opt(
        "zero", ["--initialize-shifts-policy"],
        "where the learned shifts of DIANA, COFIG and FRECON (h_i and h; FRECON's g too) start: "
        "zero, or full_gradient_at_start (the full gradient of the objective at x0, "
        "sum_i w_i grad f_i(x0), as the original tool)", "server",
        choices=["zero", "full_gradient_at_start"])
    algorithm_options: str = _opt(
        "", ["--algorithm-options"],
        "algorithm options as key:value,key,... e.g. internal_sgd:full-gradient or "
        "internal_sgd:sgd-nice,tau:10%% or internal_sgd:iterated-minibatch,reshuffle:each_round,"
        "tau:5%% or x0_norm:1 or mu_prox:0.1 (run --help-algorithm NAME for each algorithm's "
        "keys)", "server", metavar="OPTS")
    client_compressor: str = _opt(
        "ident", ["--client-compressor"],
        "uplink compressor spec: ident, bernulli:p, randk:k|P%%, natural, std.dithering:s[:p], "
        "nat.dithering:s[:p], qsgd:s, terngrad, topk:k|P%%, rank_k:k|P%%; stages of unbiased "
        "compressors chain with + (e.g. randk:10%%+natural); see docs/compressors.md", "server",
        check=check_compressor, metavar="SPEC")
    server_compressor: str = _opt(
        "ident", ["--server-compressor"],
        "downlink compressor spec (same syntax): ident sends the model and broadcast state at "
        "full precision; another compressor C sends C(v - r) of each broadcast vector v against "
        "the replica r the clients hold (error feedback, EF21-P); see docs/algorithms.md",
        "server", check=check_compressor, metavar="SPEC")

    # --- local optimizer ---
    run_local_steps: bool = _opt(False, ["--run-local-steps"],
                                 "-li counts local steps instead of local epochs", "local")
    number_of_local_iters: int = _opt(1, ["-li", "--number-of-local-iters"],
                                      "local epochs (or steps with --run-local-steps) per round",
                                      "local", check=at_least_one)
    batch_size: int = _opt(32, ["-b", "--batch-size"],
                           "minibatch size of the 'sgd' local gradient estimator (the other "
                           "estimators size theirs with tau)", "local", check=at_least_one)
    local_lr: float = _opt(0.1, ["--local-lr"], "client learning rate", "local", check=positive)
    local_lr_type: str = _opt("static", ["--local-lr-type"],
                              "client learning-rate schedule over rounds (as --global-lr-type)",
                              "local", choices=LR_SCHEDULES)
    local_optimiser: str = _opt("sgd", ["--local-optimiser", "--local-optimizer"],
                                "client optimizer (torch.optim; state reset every round)",
                                "local", choices=OPTIMISERS)
    local_momentum: float = _opt(0.0, ["--local-momentum"],
                                 "momentum of the sgd, rmsprop and 'momentum' client optimizers "
                                 "(as --global-momentum)", "local", check=non_negative)
    local_weight_decay: float = _opt(0.0, ["--local-weight-decay"],
                                     "client optimizer weight decay", "local",
                                     check=non_negative)

    # --- model and data ---
    dataset: str = _opt("digits", ["--dataset"],
                        "federated dataset (docs/datasets.md; digits ships with scikit-learn)",
                        "data", choices=lazy("DATASETS"))
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
                            "first N natural clients (0 = all)", "data", check=non_negative)
    partition: str = _opt("iid", ["--partition"],
                          "how a centralized dataset is split among clients: iid, equal (iid "
                          "with floor(N/clients) samples each, the rest dropped, as uFedNL), "
                          "sorted (by class, contiguous), shards:S (S class-sorted shards per "
                          "client), dirichlet:ALPHA (label skew)", "data", check=check_partition,
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
                      choices=lazy("MODELS"))
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
                     choices=lazy("LOSSES"))
    metric: str = _opt("auto", ["--metric"],
                       "headline metric shown in the progress bar and the final summary: auto "
                       "(top1_acc where the dataset defines it, else loss), a metric name, or "
                       "none (no evaluation of loss and scores; --extra-track metrics are still "
                       "computed); the original's top_1_acc, top_5_acc, neg_perplexity are "
                       "accepted", "data", choices=metric_names,
                       aliases={"top_1_acc": "top1_acc", "top_5_acc": "top5_acc",
                                "neg_perplexity": "perplexity"})
    global_regulizer: str = _opt("none", ["--global-regulizer", "--global-regularizer"],
                                 "regularizer added to every client's loss", "data",
                                 choices=lazy("REGULARIZERS"),
                                 aliases={"cvx_l2norm_square_div_2": "cvx_l2norm"})
    global_regulizer_alpha: float = _opt(0.0, ["--global-regulizer-alpha",
                                               "--global-regularizer-alpha"],
                                         "regularizer strength alpha", "data",
                                         check=non_negative)
    client_weights: str = _opt("uniform", ["--client-weights"],
                               "weights w_i of f = sum_i w_i f_i: uniform (1/n) or data-size "
                               "(n_i / N)", "data", choices=["uniform", "data-size"])

    # --- system setup ---
    gpu: str = _opt("-1", ["--gpu"], "comma-separated device ids, -1 = CPU (e.g. 0,1,-1)",
                    "system", check=check_devices, metavar="IDS")
    threadpool_for_local_opt: str = _opt(
        "auto", ["--threadpool-for-local-opt"],
        "worker threads per device for local training: 0 = sequential (the reference), N, "
        "vectorized (a round's clients as batched tensor operations on one device; equal to "
        "sequential up to float rounding), or auto (vectorized for linear models with "
        "closed-form oracles, the FedNL family batched, else times sequential against the "
        "pools in the first rounds and keeps the faster; threads and sequential give "
        "bit-identical results)", "system", check=check_threads,
        metavar="N|auto|vectorized")
    intra_op_threads: int = _opt(1, ["--intra-op-threads"],
                                 "PyTorch CPU threads of each computation (client, evaluation, "
                                 "server step); results are identical for any thread pool or "
                                 "device list at a fixed value, another value may change the "
                                 "last bits on CPU", "system", check=at_least_one)
    eval_async_threads: int = _opt(0, ["--eval-async-threads"],
                                   "threads evaluating snapshots of x while training goes on "
                                   "(0 = evaluate in the round loop)", "system",
                                   check=non_negative)
    save_async_threads: int = _opt(0, ["--save-async-threads"],
                                   "threads writing checkpoints while training goes on "
                                   "(0 = write in the round loop)", "system", check=non_negative)
    checkpoint_dir: str = _opt("", ["--checkpoint-dir"],
                               "folder of checkpoints (<result name>.ckpt); setting it or "
                               "--checkpoint-every enables checkpoints, also written when the "
                               "run is stopped or interrupted (default folder: checkpoints)",
                               "system", metavar="DIR")
    checkpoint_every: int = _opt(0, ["--checkpoint-every"],
                                 "write a checkpoint every N rounds (0 = only on stop/Ctrl-C)",
                                 "system", check=non_negative)
    resume_from: str = _opt("", ["--resume-from"],
                            "continue the run saved in this checkpoint (its options are the "
                            "defaults; only system options may differ)", "system",
                            check=check_resume, metavar="FILE")
    load_best: bool = _opt(False, ["--load-best"],
                           "the original's 'best model of the checkpoint': checkpoints here hold "
                           "one model (the last), which --resume-from uses; a warning says so",
                           "system")
    evaluate: bool = _opt(False, ["--evaluate"],
                          "evaluate the model of --resume-from CHECKPOINT and write a result "
                          "file with that one row, without training", "system")
    do_not_save_eval_checkpoints: bool = _opt(
        False, ["--do-not-save-eval-checkpoints"],
        "the original saved a model file at every evaluation; this tool never does (the result "
        "file holds the final model; --checkpoint-every writes resume checkpoints)", "system")
    store_client_state_in_cpu: bool = _opt(
        False, ["--store-client-state-in-cpu"],
        "keep the clients' persistent states (control variates, shifts) in CPU memory and move "
        "each to the device when its client runs", "system")
    per_round_clean_torch_cache: bool = _opt(
        False, ["--per-round-clean-torch-cache"],
        "torch.cuda.empty_cache() after every round (fights fragmentation; CUDA runs only)",
        "system")
    allow_use_nv_tensorcores: bool = _opt(
        False, ["--allow-use-nv-tensorcores"],
        "allow TF32 tensor cores for float32 matrix products and convolutions on NVIDIA GPUs "
        "(torch.backends.cuda.matmul.allow_tf32, cudnn.allow_tf32; faster, fewer mantissa bits)",
        "system")
    num_workers_train: int = _opt(0, ["-n", "--num-workers-train"],
                                  "the original's data-loader processes for training data; data "
                                  "here is held in memory as tensors, so > 0 only warns",
                                  "system", check=non_negative)
    num_workers_test: int = _opt(0, ["-nt", "--num-workers-test"],
                                 "the same for test data", "system", check=non_negative)
    external_devices: str = _opt(
        "", ["--external-devices"],
        "run the clients on remote workers, host:port:device,... (the original tool's syntax; "
        "start each worker with ./run.sh worker --port PORT); this process aggregates and "
        "evaluates; see docs/remote.md", "system", check=check_external_devices,
        metavar="HOST:PORT:DEVICE,...")
    master_addr: str = _opt("127.0.0.1", ["--master-addr"],
                            "address of this machine that remote workers connect to for tensors "
                            "(torch.distributed store and Gloo); nothing listens elsewhere",
                            "system", check=check_master_addr, metavar="ADDR")
    master_port: int = _opt(0, ["--master-port"],
                            "port of the torch.distributed store of a remote run (0 = any free "
                            "port)", "system", check=check_port)
    remote_secret_file: str = _opt("", ["--remote-secret-file"],
                                   "file whose first line is the secret shared with the remote "
                                   "workers (default: $FL_PYTORCH_SECRET)", "system",
                                   metavar="FILE")
    remote_timeout: float = _opt(120.0, ["--remote-timeout"],
                                 "seconds a remote worker may stay silent, or in a round finish "
                                 "no client, before the run fails naming it (and writes a "
                                 "checkpoint to resume from)", "system", check=positive,
                                 metavar="SECONDS")
    remote_messages: str = _opt(
        "per-client", ["--remote-messages"],
        "what remote workers send back: per-client messages (results bit-identical to a local "
        "run) or summed (one weighted sum per worker: less traffic, equal up to float "
        "summation order)", "system", choices=["per-client", "summed"])
    log_gpu_usage: bool = _opt(False, ["--log-gpu-usage"],
                               "log CPU, RAM and GPU use every --eval-every rounds", "system")
    compute_type: str = _opt("fp32", ["--compute-type"],
                             "floating-point type of parameters, data and computation: fp32, "
                             "fp64, fp16, bf16 (the original's bfp16 is accepted); an operation "
                             "the device cannot run in that type is an error at start",
                             "system", choices=["fp32", "fp64", "fp16", "bf16"],
                             aliases={"bfp16": "bf16"})
    manual_init_seed: int = _opt(123, ["--manual-init-seed"],
                                 "seed of the model initialization", "system")
    manual_runtime_seed: int = _opt(456, ["--manual-runtime-seed"],
                                    "seed of client sampling, minibatches and compressors",
                                    "system")
    deterministic: bool = _opt(False, ["--deterministic"],
                               "also make PyTorch use deterministic algorithms", "system")
    eval_every: int = _opt(1, ["--eval-every"], "evaluate metrics every N rounds (and at the end)",
                           "system", check=at_least_one)
    extra_track: str = _opt("", ["--extra-track"],
                            "extra (costly) metrics, comma-separated: full_gradient_norm_train, "
                            "full_objective_value_train, objective_gap_train, "
                            "full_gradient_norm_val, full_objective_value_val, top1_acc_train, "
                            "...", "system",
                            check=check_extra_track,
                            metavar="METRICS")
    hostname: str = _opt("", ["--hostname"],
                         "name of this machine recorded in the result's environment (empty: "
                         "detected)", "system")
    group_name: str = _opt("", ["--group-name"],
                           "group label (runs of one group, e.g. seeds, plot as mean +- std)",
                           "system")
    comment: str = _opt("", ["--comment"], "free-text comment stored with the results", "system")
    run_id: str = _opt("", ["--run-id"], "run identifier (default: time stamp)", "system")
    out: str = _opt("", ["--out"], "result file (default: results/<algorithm>_<run-id>.bin)",
                    "system", metavar="FILE")
    loglevel: str = _opt("INFO", ["--loglevel"], "log level (any letter case)", "system",
                         choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                         aliases={"warn": "WARNING"})
    logfilter: str = _opt(".*", ["--logfilter"],
                          "regular expression: only log messages that match it from their "
                          "start are written (as the original tool)", "system",
                          check=check_regex, metavar="REGEX")
    logfile: str = _opt("", ["--logfile"], "also write the log to this file (its folder is "
                        "created)", "system", metavar="FILE")
    quiet: bool = _opt(False, ["--quiet"], "no progress bar or summary on the terminal", "system")
    wandb_key: str = _opt("", ["--wandb-key"],
                          "Weights & Biases API key: when given, every round's metrics and the "
                          "options are logged to W&B (needs 'pip install wandb'); with "
                          "WANDB_MODE=offline nothing is sent (any key, no network needed) and "
                          "W&B keeps the run in ./wandb for 'wandb sync'", "system", metavar="KEY")
    wandb_project_name: str = _opt("fl_pytorch_simulation",
                                   ["--wandb-project-name", "--wandb-project"],
                                   "Weights & Biases project of the run", "system",
                                   metavar="NAME")
    plugins: str = _opt("", ["--plugins"],
                        "comma-separated modules (or .py files) that register your own "
                        "algorithms, compressors, datasets or models, loaded before anything "
                        "else (TUTORIAL.md, section 6; installed packages: the "
                        "fl_pytorch.plugins entry points, loaded automatically)", "system",
                        check=check_plugins, metavar="MODULES")
    tensorboard: str = _opt("", ["--tensorboard"],
                            "write every round's metrics, and the options as hyper-parameters, "
                            "as TensorBoard event files into DIR/<result file name> (needs 'pip "
                            "install tensorboard'; view with tensorboard --logdir DIR)", "system",
                            metavar="DIR")
    client_profile: str = _opt(
        "uniform", ["--client-profile"],
        "simulated client devices (compute speed, link bandwidth and latency): uniform (every "
        "client the reference device), lognormal:SIGMA (log-normal spread around it), or "
        "file:PROFILE.csv; drawn from --manual-init-seed; see docs/heterogeneity.md", "system",
        check=_check_profile, metavar="PROFILE")
    client_dropout: float = _opt(0.0, ["--client-dropout"],
                                 "probability that a sampled client is unavailable in a round "
                                 "(decided per seed, round and client; it then takes no part, "
                                 "like a client that was not sampled)", "system",
                                 check=_check_dropout, metavar="P")
    round_deadline: float = _opt(0.0, ["--round-deadline"],
                                 "simulated seconds after which a round closes: clients whose "
                                 "download + compute + upload takes longer are dropped (0 = no "
                                 "deadline); see docs/heterogeneity.md", "system",
                                 check=non_negative, metavar="SECONDS")

