"""TensorBoard logging of a run (``--tensorboard DIR``); needs the optional ``tensorboard`` package.

Each run writes its own event file under ``DIR/<result file name>/``, so the runs of a sweep
that share ``DIR`` show as separate runs of one TensorBoard. Every round's row of metrics (NaN
entries, i.e. metrics not evaluated that round, left out) is a scalar at step = round; the
options are the run's hyper-parameters (HParams tab, with the final value of every metric and
the run's status), and the command line is a text entry.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from ..core.callbacks import Callback, RunInfo
from ..errors import ConfigError

INSTALL_HINT = "pip install tensorboard"
SECRET_OPTIONS = ("wandb_key",)
"""Options never written to the event file (the command line shows ``***``)."""


def hyper_parameters(config: Any) -> dict[str, Any]:
    """The options of ``config`` as TensorBoard hyper-parameters (secrets left out)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in SECRET_OPTIONS}


class TensorBoardLogger(Callback):
    """Writes the run's metrics and options with ``torch.utils.tensorboard``."""

    def __init__(self, config: Any, log_dir: Path):
        from torch.utils.tensorboard import SummaryWriter
        self.config, self.log_dir = config, log_dir
        self.writer = SummaryWriter(str(log_dir))
        self.last: dict[str, float] = {}

    def on_run_begin(self, info: RunInfo) -> None:
        from ..cli_line import command_line
        shown = self.config.replace(**{k: "***" for k in SECRET_OPTIONS
                                       if getattr(self.config, k)})
        self.writer.add_text("command_line", f"`{command_line(shown)}`")

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        step = int(row["round"])
        for name, value in row.items():
            value = float(value)
            if name != "round" and not math.isnan(value):
                self.writer.add_scalar(name, value, step)
                self.last[name] = value

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        from torch.utils.tensorboard.summary import hparams
        metrics = {k: v for k, v in self.last.items() if math.isfinite(v)}
        writer = self.writer._get_file_writer()
        for summary in hparams(hyper_parameters(self.config), metrics):
            writer.add_summary(summary)
        error = f" ({result['error']})" if result.get("error") else ""
        self.writer.add_text("status", f"{result['status']}{error}")
        self.writer.close()


def tensorboard_logger(config: Any, out_path: Path) -> Callback | None:
    """The TensorBoard callback of ``config`` (None without ``--tensorboard``).

    Raises:
        ConfigError: the ``tensorboard`` package is not installed (the run would ignore the
            option otherwise).
    """
    if not config.tensorboard:
        return None
    try:
        import tensorboard  # noqa: F401  (torch.utils.tensorboard needs it)
    except ImportError:
        raise ConfigError(f"--tensorboard: the 'tensorboard' package is not installed "
                          f"({INSTALL_HINT})") from None
    return TensorBoardLogger(config, Path(config.tensorboard) / Path(out_path).stem)
