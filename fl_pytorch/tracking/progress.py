"""Terminal progress bar with ETA (tqdm), silent when stderr is not a TTY or with --quiet."""

from __future__ import annotations

import math
import sys
from typing import Any

from tqdm import tqdm

from ..core.callbacks import Callback, RunInfo
from ..core.metrics import headline_metric


class ProgressBar(Callback):
    """One bar over the rounds; its postfix shows the headline metric (``--metric``)."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar: tqdm | None = None

    def on_run_begin(self, info: RunInfo) -> None:
        if self.enabled:
            self.bar = tqdm(total=info.total_rounds, initial=info.start_round, unit="round",
                            file=sys.stderr, dynamic_ncols=True)

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        if self.bar is None or row["round"] == 0:
            return
        self.bar.update(1)
        metric = headline_metric(info.config.metric, list(row))
        value = row.get(metric, math.nan)
        if not math.isnan(value):
            self.bar.set_postfix({metric: f"{value:.4g}"}, refresh=False)

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.close()
