"""The round loop of generalized FedAvg (paper, Algorithm 1).

``Engine.run`` reads like the algorithm: step 0 sets up the run's state (or restores a
checkpoint), then every round runs steps 1 to 5 (``engine/rounds.py``) and the observers that
follow a round (``engine/run_observers.py``: accounting, evaluation, checkpoints). Logging, result
files, progress bars and GUI updates are callbacks; how clients run is the executor's business.
A stop request finishes the current round and ends the run as "stopped"; Ctrl-C (or SIGTERM,
SIGHUP) ends it as "interrupted"; both keep every completed round.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core.aggregation import to_numpy
from ..core.callbacks import Callback, RunInfo
from ..core.client_state import ClientStateStore
from ..core.downlink import Downlink
from ..core.local import RoundAborted
from ..core.metrics import ROW_METRICS, Evaluator
from ..core.optim import build_optimizer
from ..core.shift_init import initial_shift, with_shifts
from ..execution.interrupts import InterruptGuard
from ..utils.devices import torch_threads
from ..utils.environment import environment_info
from .checkpoint import Checkpointer, checkpoint_path, load_checkpoint, restore
from .executors import build_executor
from .rounds import RoundRunner
from .run_observers import Accounting, CheckpointSchedule, EvaluationSchedule
from .run_state import CLIENT_TOTALS, RunState
from .simulation import Simulation


@contextlib.contextmanager
def compute_settings(config: Any) -> Iterator[None]:
    """Every computation of the run with ``--intra-op-threads`` (and ``--deterministic``)."""
    if config.deterministic:
        torch.use_deterministic_algorithms(True)
    with torch_threads(config.intra_op_threads):
        yield


class Engine:
    """Runs one simulation; ``stop()`` may be called from any thread."""

    def __init__(self, sim: Simulation, callbacks: Callback | None = None,
                 executor: Any = None, stop_event: threading.Event | None = None,
                 checkpoint_file: Path | None = None):
        cfg = sim.config
        self.sim = sim
        self.callbacks = callbacks or Callback()
        self.executor = executor or build_executor(sim)
        self._stop = stop_event or threading.Event()
        self.checkpoint_path = checkpoint_file or checkpoint_path(
            cfg, cfg.out or f"{cfg.algorithm}_{cfg.run_id or 'run'}")
        self.resume = load_checkpoint(cfg.resume_from, cfg) if cfg.resume_from else None

    def stop(self) -> None:
        """Ask the run to end after the current round (results are kept)."""
        self._stop.set()

    def run(self) -> dict[str, Any]:
        """Run every round; return the result dict (whatever the final status)."""
        sim, cfg = self.sim, self.sim.config
        info = RunInfo(config=cfg, total_rounds=cfg.rounds, problem=sim.problem_info(),
                       start_round=self.resume["round"] if self.resume else 0)
        started_at = dt.datetime.now().isoformat(timespec="seconds")
        accounting = Accounting(sim.devices, time.perf_counter())
        checkpoints = CheckpointSchedule(Checkpointer(
            self.checkpoint_path, cfg.checkpoint_every, cfg.save_async_threads), cfg,
            self.executor)
        guard, rounds = InterruptGuard(), RoundRunner(sim, self.executor)
        state, evaluations, status, error, aborted = None, None, "finished", None, None
        self.callbacks.on_run_begin(info)
        with compute_settings(cfg):
            try:
                guard.install()
                self.executor.start(sim)
                state = self._initial_state(rounds)  # step 0: H = INIT_SERVER_STATE(x0)
                evaluations = EvaluationSchedule(
                    sim, state, self.callbacks, info,
                    lambda view: Evaluator(view).evaluate_state)
                self._first_row(state, accounting, evaluations)
                for t in range(info.start_round, cfg.rounds):
                    guard.boundary()  # a Ctrl-C is raised here, between rounds
                    if self._stop.is_set():
                        status = "stopped"
                        break
                    outcome = rounds.run(state, t)  # steps 1-5
                    evaluations.after_round(accounting.after_round(state, outcome))
                    checkpoints.after_round(state, t + 1, evaluations)
            except KeyboardInterrupt:
                status = "interrupted"
            except RoundAborted as e:  # the state is that of the last completed round
                status, error, aborted = "failed", f"{type(e).__name__}: {e}", e
            except Exception as e:  # saved as a failed run, then re-raised by the caller
                status, error = "failed", f"{type(e).__name__}: {e}"
        status, error = self._wind_down(status, error, state, evaluations, checkpoints,
                                        aborted, guard)
        guard.uninstall()
        result = self._result(state, status, error, info, started_at)
        self.callbacks.on_run_end(info, result)
        return result

    def _initial_state(self, rounds: RoundRunner) -> RunState:
        """Step 0: x0, H = INIT_SERVER_STATE(x0), empty client states; or a checkpoint's."""
        sim, alg, cfg = self.sim, self.sim.algorithm, self.sim.config
        x = sim.x0.clone()
        shift0 = initial_shift(sim)
        store = ClientStateStore(
            lambda i: with_shifts(alg.init_client_state(i, sim.x0), alg.client_shifts, shift0),
            torch.device("cpu") if cfg.store_client_state_in_cpu else None)
        state = RunState(x=x, buffers=sim.oracle.buffers0.clone(), h={},
                         server_optimizer=build_optimizer(
                             sim.server_optimiser, x, sim.global_lr, cfg.global_momentum,
                             cfg.global_weight_decay),
                         store=store, downlink=Downlink(sim.downlink, sim.x0),
                         num_clients=sim.num_clients)
        state.h = with_shifts(alg.init_server_state(x, rounds.server_context(0, state)),
                              alg.server_shifts, shift0)
        if self.resume:
            restore(self.resume, sim.device, **state.parts())
        return state

    def _first_row(self, state: RunState, accounting: Accounting,
                   evaluations: EvaluationSchedule) -> None:
        """Row 0 (the initial point, evaluated), or the resumed run's clock."""
        if self.resume:
            accounting.started -= state.rows[-1]["wall_time"]
        else:
            evaluations.add(accounting.first_row(self.sim.global_lr), evaluate=True)

    def _wind_down(self, status: str, error: str | None, state: RunState | None,
                   evaluations: EvaluationSchedule | None, checkpoints: CheckpointSchedule,
                   aborted: RoundAborted | None, guard: InterruptGuard) -> tuple[str, str | None]:
        """End of run: pending evaluations, the stop/Ctrl-C checkpoint, checkpoint writes.

        On a stop, Ctrl-C or a lost remote worker (when the state is complete) a checkpoint of
        the last completed round is written, before the executor closes (remote workers hold
        states); the error then says which checkpoint to resume from. A failure here fails the
        run.
        """
        saver = checkpoints.checkpoints
        try:
            if evaluations is not None:
                evaluations.pipeline.flush()
            resumable = aborted is not None and aborted.resumable
            if (status in ("stopped", "interrupted") or resumable) and saver.enabled and \
                    state is not None and state.rows and not guard.forced:
                data = checkpoints.snapshot(state, state.rounds_done)
                saver.save(data)
                if resumable:
                    error = f"{error}; checkpoint of round {data['round']} written"
            saver.close()
            if aborted is not None:
                path = saver.path
                error += f"; continue with --resume-from {path}" if path and path.is_file() \
                    else "; no checkpoint to resume from (--checkpoint-every N writes them)"
        except Exception as e:
            if status != "failed":
                status, error = "failed", f"{type(e).__name__}: {e}"
        finally:
            if evaluations is not None:
                evaluations.pipeline.close()
            self.executor.close()
        return status, error

    def _result(self, state: RunState | None, status: str, error: str | None, info: RunInfo,
                started_at: str) -> dict[str, Any]:
        """The result dict: config, command line, metrics, final model, environment."""
        from ..cli_line import command_line
        sim = self.sim
        rows = state.rows if state is not None else []
        names = ROW_METRICS + Evaluator(sim).metric_names() + list(
            sim.algorithm.extra.get("metrics", ()))
        metrics = {m: np.array([row.get(m, math.nan) for row in rows],
                               dtype=np.int64 if m == "round" else np.float64) for m in names}
        env = environment_info([str(d) for d in sim.devices])
        env["executor"] = self.executor.describe()
        env.update(started_at=started_at,
                   finished_at=dt.datetime.now().isoformat(timespec="seconds"))
        x = state.x if state is not None else sim.x0
        result = {"format": "fl_pytorch-result", "version": 1, "status": status, "error": error,
                  "config": sim.config.to_dict(), "command_line": command_line(sim.config),
                  "metrics": metrics, "final_params": to_numpy(x), "problem": info.problem,
                  "environment": env,
                  "clients": state.per_client if state is not None else {
                      k: np.zeros(sim.num_clients, dtype=np.int64) for k in CLIENT_TOTALS}}
        result["system"] = sim.system.describe()
        if state is not None and state.buffers.numel():  # batch-norm statistics of final_params
            result["final_buffers"] = to_numpy(state.buffers)
        return result
