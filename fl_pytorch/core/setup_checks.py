"""Setup steps that need the loaded dataset, model or compressors (called by ``build_simulation``).

Each refusal is one ConfigError naming both options that do not fit together.
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import ConfigError
from .metrics import EXTRA_METRICS, headline_metric
from .scores import SCORES, score_names

DTYPES = {"fp32": torch.float32, "fp64": torch.float64, "fp16": torch.float16,
          "bf16": torch.bfloat16}


def check_metric(config: Any, dataset: Any, has_solution: bool) -> None:
    """Refuse a ``--metric`` the run cannot compute (``auto`` resolves to one it can)."""
    defined = score_names(dataset.task, dataset.output_dim)
    metric = headline_metric(config.metric, defined)
    where = f"--loss {config.loss} on dataset {dataset.name!r} ({dataset.task} targets)"
    if metric in SCORES and metric not in defined:
        valid = ", ".join(["auto", "loss", *defined, "none"])
        raise ConfigError(f"--metric: invalid value {metric!r} with {where}: this score is not "
                          f"defined there; valid here: {valid}")
    if metric == "dist_to_solution" and not has_solution:
        raise ConfigError(f"--metric: invalid value 'dist_to_solution' with --dataset "
                          f"{dataset.name!r}: its solution x* is not known in closed form")
    tracked = [m.strip() for m in config.extra_track.split(",")]
    if metric in EXTRA_METRICS and metric not in tracked:
        raise ConfigError(f"--metric: invalid value {metric!r} without --extra-track {metric}: "
                          f"the run would not compute it")


def scaled_x0(x0: torch.Tensor, options: dict[str, Any], model: str) -> torch.Tensor:
    """x0 rescaled to the norm given by the ``x0_norm`` option (x0 itself without it)."""
    target = options.get("x0_norm")
    if target is None:
        return x0
    norm = float(x0.norm())
    if norm == 0.0:
        raise ConfigError(f"--algorithm-options: x0_norm:{target} cannot rescale the initial "
                          f"point of --model {model!r}, which is zero")
    return x0 * (target / norm)


def check_compute_type(config: Any, oracle: Any, data: Any, x0: torch.Tensor,
                       compressors: dict[str, Any], device: torch.device) -> None:
    """Run one gradient of the model and each compressor in fp16/bf16 on ``device``.

    An operation that the device cannot do in that type is a ConfigError naming
    ``--compute-type`` and the option whose choice uses it.
    """
    kind = config.compute_type
    if kind in ("fp32", "fp64"):
        return
    try:
        oracle.replicate(device).value_and_grad(x0, data.x[:2], data.y[:2])
    except (RuntimeError, NotImplementedError) as e:
        raise ConfigError(f"--compute-type: invalid value {kind!r} with --model "
                          f"{config.model!r} on {device}: {_first_line(e)}; valid here: fp32, "
                          "fp64") from None
    probe = torch.linspace(-1.0, 1.0, 16, device=device).to(DTYPES[kind])
    for option, compressor in compressors.items():
        try:
            compressor.compress(probe, torch.Generator(device=device).manual_seed(0))
        except (RuntimeError, NotImplementedError) as e:
            raise ConfigError(f"--compute-type: invalid value {kind!r} with {option} "
                              f"{compressor.spec!r} on {device}: {_first_line(e)}; valid with "
                              "this compressor: fp32, fp64") from None


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
