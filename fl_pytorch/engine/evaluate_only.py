"""``--evaluate``: the evaluation metrics of a checkpoint's model, without training.

The original tool's evaluation mode loaded a saved model and logged its validation metrics. Here
the model (and batch-norm statistics) of the ``--resume-from`` checkpoint is evaluated with the
run's metrics, and a result file with that one row (round = the checkpoint's completed rounds) is
written, so ``run.sh results show`` and the GUI's analysis tab read it like any other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from ..cli_line import command_line
from ..core.callbacks import Callback, RunInfo
from ..core.metrics import Evaluator
from ..utils.environment import environment_info
from .checkpoint import load_checkpoint
from .simulation import Simulation


def evaluate_checkpoint(sim: Simulation, callbacks: Callback) -> dict[str, Any]:
    """Evaluate the model of ``sim.config.resume_from``; return the result dict.

    ``callbacks`` hear ``on_run_begin`` and ``on_run_end`` (the API's write the result file).
    """
    cfg = sim.config
    started = dt.datetime.now().isoformat(timespec="seconds")
    data = load_checkpoint(cfg.resume_from, cfg)
    parts = data["parts"]
    x = parts["x"].to(device=sim.device, dtype=sim.dtype)
    buffers = parts["buffers"].to(device=sim.device, dtype=sim.dtype)
    info = RunInfo(config=cfg, total_rounds=data["round"], problem=sim.problem_info(),
                   start_round=data["round"])
    callbacks.on_run_begin(info)
    evaluator = Evaluator(sim)
    values = evaluator.evaluate(x, buffers if buffers.numel() else None)
    metrics = {"round": np.array([data["round"]], dtype=np.int64),
               **{m: np.array([values[m]], dtype=np.float64)
                  for m in evaluator.metric_names()}}
    env = environment_info([str(sim.device)])
    env.update(started_at=started, finished_at=dt.datetime.now().isoformat(timespec="seconds"),
               executor="evaluation only")
    result = {"format": "fl_pytorch-result", "version": 1, "status": "finished", "error": None,
              "config": cfg.to_dict(), "command_line": command_line(cfg), "metrics": metrics,
              "final_params": x.detach().cpu().numpy().copy(), "problem": info.problem,
              "environment": env, "evaluated_checkpoint": str(cfg.resume_from)}
    if buffers.numel():
        result["final_buffers"] = buffers.detach().cpu().numpy().copy()
    callbacks.on_run_end(info, result)
    return result
