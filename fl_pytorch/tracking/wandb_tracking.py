"""Weights & Biases logging of a run (``--wandb-key``, ``--wandb-project-name``), optional.

As in the original tool, a non-empty key turns it on: the run is named
``<algorithm>-rounds-<R>-<model>@<dataset>-runid-<run id>``, its options are the W&B config (the
key left out) and every round's row of metrics (NaN entries left out) is logged at step = round.
``WANDB_MODE=offline`` (or ``disabled``) is honoured: then no login is attempted and W&B keeps the
run in its local ``wandb/`` folder. Without the ``wandb`` package the run goes on and one warning
line says that logging is off.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

from ..core.callbacks import Callback, RunInfo
from .logging_setup import LOGGER

INSTALL_HINT = "pip install wandb"


class WandbLogger(Callback):
    """Logs the run to W&B through the ``wandb`` module given."""

    def __init__(self, wandb: Any, config: Any):
        self.wandb, self.config = wandb, config
        self.run: Any = None

    def on_run_begin(self, info: RunInfo) -> None:
        """Log in (unless offline) and start the W&B run; a failure turns logging off."""
        cfg = self.config
        options = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "wandb_key"}
        try:
            if os.environ.get("WANDB_MODE", "").lower() not in ("offline", "disabled", "dryrun"):
                self.wandb.login(key=cfg.wandb_key)
            self.run = self.wandb.init(
                project=cfg.wandb_project_name, config=options,
                name=f"{cfg.algorithm}-rounds-{cfg.rounds}-{cfg.model}@{cfg.dataset}-runid-"
                     f"{cfg.run_id}")
        except Exception as e:  # as the original: a bad key or no network loses W&B only
            LOGGER.error("--wandb-key: Weights & Biases logging is off: %s: %s",
                         type(e).__name__, str(e).strip().splitlines()[0] if str(e) else "")

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        if self.run is not None:
            values = {k: float(v) for k, v in row.items() if not math.isnan(float(v))}
            self.run.log(values, step=int(row["round"]))

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        if self.run is not None:
            self.run.summary["status"] = result["status"]
            self.run.finish()


def wandb_logger(config: Any) -> tuple[Callback | None, str | None]:
    """The W&B callback of ``config`` (None without a key), or a warning line why it is off."""
    if not config.wandb_key:
        return None, None
    try:
        import wandb
    except ImportError:
        return None, ("--wandb-key: Weights & Biases logging is off: the 'wandb' package is not "
                      f"installed ({INSTALL_HINT})")
    return WandbLogger(wandb, config), None
