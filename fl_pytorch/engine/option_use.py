"""Options given a value that the configured run does not use: said, never ignored silently.

Each rule maps an option to the reason it has no effect under the rest of the configuration (or
None when it has one). :func:`unused_options` lists a warning line for every option whose value
differs from its default and whose rule finds no use; ``build_simulation`` logs them. Options
that cannot work together are ConfigErrors elsewhere; these only do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import OPTIONS, Config, primary_flag
from ..data.libsvm import LIBSVM_NAMES

Rule = Callable[[Config, Any, dict[str, Any]], str | None]


def _unless(condition: Callable[[Config, Any, dict[str, Any]], bool], why: str) -> Rule:
    return lambda cfg, alg, opts: None if condition(cfg, alg, opts) else why


def _server_optimiser(cfg: Config, alg: Any) -> str:
    return alg.server_optimiser or cfg.global_optimiser


def _local_loop(cfg: Config, alg: Any, opts: dict[str, Any]) -> bool:
    return bool(alg.local_steps)


_NO_LOCAL_LOOP = "the algorithm takes one gradient step per round, with the server's lr"
_REMOTE = "it is used only with --external-devices (remote workers)"
_WITH_MOMENTUM = ("sgd", "momentum", "rmsprop")

RULES: dict[str, Rule] = {
    "num_clients_per_round": _unless(lambda c, a, o: c.client_sampling_type == "uniform",
                                     "it is used only with --client-sampling-type uniform"),
    "client_sampling_poisson": _unless(
        lambda c, a, o: c.client_sampling_type.startswith("poisson"),
        "it is used only with --client-sampling-type poisson"),
    "global_momentum": _unless(lambda c, a, o: _server_optimiser(c, a) in _WITH_MOMENTUM,
                               "only the sgd, momentum and rmsprop server optimizers use it"),
    "local_momentum": _unless(lambda c, a, o: a.local_steps and c.local_optimiser in
                              _WITH_MOMENTUM,
                              "only the sgd, momentum and rmsprop local optimizers use it"),
    "initialize_shifts_policy": _unless(lambda c, a, o: bool(a.client_shifts or a.server_shifts),
                                        "the algorithm has no shifts (DIANA, COFIG and FRECON "
                                        "have)"),
    "local_lr": _unless(_local_loop, _NO_LOCAL_LOOP),
    "local_lr_type": _unless(_local_loop, _NO_LOCAL_LOOP),
    "local_optimiser": _unless(_local_loop, _NO_LOCAL_LOOP),
    "local_weight_decay": _unless(_local_loop, _NO_LOCAL_LOOP),
    "run_local_steps": _unless(lambda c, a, o: a.local_steps and not a.draws_round_length,
                               "the algorithm sets the number of local steps itself"),
    "batch_size": _unless(lambda c, a, o: o.get("internal_sgd") == "sgd",
                          "it is the minibatch of --algorithm-options internal_sgd:sgd only"),
    "dataset_generation_spec": _unless(
        lambda c, a, o: c.dataset == "generated_for_quadratic_minimization",
        "it parametrizes only the synthetic dataset generated_for_quadratic_minimization"),
    "global_regulizer_alpha": _unless(lambda c, a, o: c.global_regulizer != "none",
                                      "--global-regulizer is none"),
    "no_intercept": _unless(lambda c, a, o: c.dataset in LIBSVM_NAMES,
                            "only LIBSVM datasets get the constant feature"),
    "use_pretrained": _unless(lambda c, a, o: c.model.startswith("tv_resnet"),
                              "only torchvision's ResNets (tv_resnet*) have pretrained weights"),
    "loglevel": _unless(lambda c, a, o: not c.quiet, "--quiet logs warnings and errors only"),
    "remote_secret_file": _unless(lambda c, a, o: bool(c.external_devices), _REMOTE),
    "remote_timeout": _unless(lambda c, a, o: bool(c.external_devices), _REMOTE),
    "remote_messages": _unless(lambda c, a, o: bool(c.external_devices), _REMOTE),
    "master_addr": _unless(lambda c, a, o: bool(c.external_devices), _REMOTE),
    "master_port": _unless(lambda c, a, o: bool(c.external_devices), _REMOTE),
}


def unused_options(config: Config, algorithm: Any, options: dict[str, Any]) -> list[str]:
    """One line per option given a non-default value that this run does not use."""
    default = Config()
    lines = []
    for name, rule in RULES.items():
        value = getattr(config, name)
        if value == getattr(default, name):
            continue
        why = rule(config, algorithm, options)
        if why:
            shown = "" if isinstance(value, bool) else f" {value}"
            lines.append(f"{primary_flag(OPTIONS[name])}{shown} has no effect: {why}")
    return lines
