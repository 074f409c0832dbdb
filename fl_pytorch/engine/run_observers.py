"""What happens after each round besides the algorithm: accounting, evaluation, checkpoints.

The engine calls each observer's ``after_round(state, outcome)`` in this order: the accounting
adds the round's oracle calls and bits to the run's counters and makes its metrics row, the
evaluation schedule queues the row (with the model to evaluate every ``--eval-every`` rounds and
at the end), the checkpoint schedule writes a checkpoint when one is due.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..core.aggregation import model_state
from ..core.callbacks import Callback, RunInfo
from ..core.local import BatchResult, collect_states
from ..execution.evaluation import EvalPipeline
from ..heterogeneity import INITIAL_ROW
from ..tracking.monitor import peak_gpu_memory_mb
from .checkpoint import Checkpointer, capture
from .rounds import RoundOutcome
from .run_state import CLIENT_TOTALS, RunState

Row = dict[str, float]


class Accounting:
    """The run's counters (oracle calls, bits, per client) and the metrics row of each round."""

    def __init__(self, devices: list, started: float):
        self.devices, self.started = devices, started

    def first_row(self, lr: float) -> Row:
        """Row 0, the initial point."""
        row = self.row(RoundOutcome(-1, lr), {"oracle_grad_full": 0, "oracle_grad_samples": 0,
                                              "bits_up_cum": 0, "bits_down_cum": 0}, 0, 0.0)
        row.update(INITIAL_ROW)
        return row

    def after_round(self, state: RunState, outcome: RoundOutcome) -> Row:
        ids, counts = _per_client_counts(outcome.results)
        probe_up, probe_down = outcome.probe_bits
        counts[2] += probe_up
        for key, values in zip(CLIENT_TOTALS, counts):  # oracle calls, bits and rounds
            state.per_client[key][ids] += values  # a client appears once in a round
        timing = outcome.timing
        state.per_client["dropped"][timing.dropped] += 1
        state.per_client["late"][timing.late] += 1
        outcome.bits_down += probe_down * len(ids)
        totals = state.totals
        bits_up = int(counts[2].sum())
        totals["oracle_grad_full"] += int(counts[0].sum())
        totals["oracle_grad_samples"] += int(counts[1].sum())
        totals["bits_up_cum"] += bits_up
        totals["bits_down_cum"] += outcome.bits_down
        sim_time_before = totals.get("sim_time_cum", 0.0)  # absent from older checkpoints
        totals["sim_time_cum"] = sim_time_before + timing.sim_time
        row = self.row(outcome, totals, bits_up, time.perf_counter() - self.started)
        row.update(timing.row(sim_time_before))
        row.update(outcome.metrics)
        return row

    def row(self, outcome: RoundOutcome, totals: dict[str, int], bits_up: int, wall: float
            ) -> Row:
        """The metrics row of a round (evaluation metrics are added later)."""
        n = len(outcome.participants)
        return {"round": outcome.round + 1, "wall_time": wall, "clients_in_round": n,
                "direction_norm": outcome.direction_norm,
                "oracle_grad_full": totals["oracle_grad_full"],
                "oracle_grad_samples": totals["oracle_grad_samples"],
                "bits_up_round": bits_up, "bits_up_per_client": bits_up / n if n else 0.0,
                "bits_up_cum": totals["bits_up_cum"], "bits_down_round": outcome.bits_down,
                "bits_down_cum": totals["bits_down_cum"], "lr_global": outcome.lr,
                "gpu_memory_mb": peak_gpu_memory_mb(self.devices)}


def _per_client_counts(results: list) -> tuple[np.ndarray, list[np.ndarray]]:
    """(client ids, [full gradients, samples, bits, rounds] per client) of a round's results."""
    ids, full, samples, bits = [], [], [], []
    for r in results:
        if isinstance(r, BatchResult):
            ids.extend(r.client_ids)
            full.extend(r.oracle_full.tolist())
            samples.extend(r.oracle_samples.tolist())
            bits.extend(r.bits_up.tolist())
        else:
            ids.append(r.client_id)
            full.append(r.oracle_full)
            samples.append(r.oracle_samples)
            bits.append(r.bits_up)
    counts = [np.asarray(v, dtype=np.int64) for v in (full, samples, bits)]
    return np.asarray(ids, dtype=np.int64), counts + [np.ones(len(ids), dtype=np.int64)]


class EvaluationSchedule:
    """Queues each row, with the model to evaluate when due; emits rows in round order."""

    def __init__(self, sim: Any, state: RunState, callbacks: Callback, info: RunInfo,
                 make_evaluate: Any):
        cfg = sim.config
        self.rounds, self.every = cfg.rounds, cfg.eval_every
        self.state, self.callbacks, self.info = state, callbacks, info
        self.pipeline = EvalPipeline(sim, make_evaluate, self._emit, cfg.eval_async_threads,
                                     cfg.intra_op_threads)

    def _emit(self, row: Row) -> None:
        self.state.rows.append(row)
        self.callbacks.after_round(self.info, row)

    def add(self, row: Row, evaluate: bool) -> None:
        """Queue ``row``; evaluate the current model with it when ``evaluate``."""
        state = self.state
        self.pipeline.add(row, model_state(state.x, state.buffers) if evaluate else None)

    def after_round(self, row: Row) -> None:
        done = int(row["round"])
        self.add(row, done == self.rounds or done % self.every == 0)


class CheckpointSchedule:
    """Writes a checkpoint every ``--checkpoint-every`` rounds (and on stops, at wind-down)."""

    def __init__(self, checkpoints: Checkpointer, config: Any, executor: Any):
        self.checkpoints, self.config, self.executor = checkpoints, config, executor

    def snapshot(self, state: RunState, rounds_done: int) -> dict[str, Any]:
        """The run's state after ``rounds_done`` rounds (remote workers hand states back first)."""
        collect_states(self.executor, state.store)
        return capture(rounds_done, self.config, **state.parts())

    def after_round(self, state: RunState, rounds_done: int, evaluations: EvaluationSchedule
                    ) -> None:
        if self.checkpoints.due(rounds_done):
            evaluations.pipeline.flush()
            self.checkpoints.save(self.snapshot(state, rounds_done))
