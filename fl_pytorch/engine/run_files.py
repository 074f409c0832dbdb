"""Where a run writes its files: the result file and the checkpoint (no torch needed).

The command line checks these locations before it imports torch, so a run that cannot write
its results fails at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

DEFAULT_RESULTS_DIR = "results"
DEFAULT_CHECKPOINT_DIR = "checkpoints"


def default_out_path(config: Any) -> Path:
    """``--out`` or ``results/<algorithm>_<run-id or time stamp>.bin``."""
    if config.out:
        return Path(config.out)
    stamp = config.run_id or dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(DEFAULT_RESULTS_DIR) / f"{config.algorithm}_{stamp}.bin"


def checkpoint_path(config: Any, out_path: str | Path) -> Path | None:
    """``<checkpoint dir>/<result file name>.ckpt``, or None when checkpoints are off.

    Runs on remote workers always have one: it is written when a worker is lost.
    """
    if not (config.checkpoint_dir or config.checkpoint_every or config.external_devices):
        return None
    return Path(config.checkpoint_dir or DEFAULT_CHECKPOINT_DIR) / f"{Path(out_path).stem}.ckpt"
