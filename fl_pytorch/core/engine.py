"""The round loop of generalized FedAvg (paper, Algorithm 1), in numbered steps.

Logging, result files, progress bars and GUI updates are callbacks; how clients run is the
executor's business. A stop request finishes the current round and ends the run as "stopped";
Ctrl-C ends it as "interrupted"; both keep every completed round.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..execution.evaluation import EvalPipeline
from ..execution.interrupts import InterruptGuard
from ..utils.devices import parse_devices
from ..utils.environment import environment_info
from ..utils.monitor import peak_gpu_memory_mb
from ..utils.rng import SERVER, generator
from .callbacks import Callback, RunInfo
from .checkpoint import Checkpointer, capture, checkpoint_path, load_checkpoint, restore
from .client_state import ClientStateStore
from .context import ServerContext
from .downlink import Downlink
from .local import ClientResult, RoundAborted, RoundPlan, collect_states, run_round
from .metrics import ROW_METRICS, Evaluator
from .optim import build_optimizer, scheduled_lr, set_lr
from .probes import ObjectiveProbe
from .sampling import sample_clients
from .simulation import Simulation


def weighted_mean(results: list[ClientResult], weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Sum_i w_i m_i / sum_i w_i over the round's clients, accumulated in client-id order.

    A ``summed`` result (a remote worker's pre-weighted sum) is added as it is.
    """
    w = [float(weights[r.client_id]) for r in results]
    total = sum(w)
    agg: dict[str, torch.Tensor] = {}
    for wi, r in zip(w, results):
        for key, value in r.message.items():
            term = value if r.summed else value * (wi / total)
            agg[key] = term if key not in agg else agg[key] + term
    return agg


def mean_buffers(results: list[ClientResult], weights: torch.Tensor, buffers: torch.Tensor
                 ) -> torch.Tensor:
    """The clients' batch-norm statistics, averaged with the weights of their messages.

    FedAvg's choice: buffers are averaged like parameters. ``buffers`` itself when the model has
    none.
    """
    if not buffers.numel() or not results:
        return buffers
    return weighted_mean([ClientResult(r.client_id, {} if r.buffers is None else {"b": r.buffers},
                                       {}, 0, 0, 0, summed=r.summed)
                          for r in results], weights)["b"]


def model_state(x: torch.Tensor, buffers: torch.Tensor) -> torch.Tensor:
    """What evaluation needs: ``[x | buffers]`` (just ``x`` for models without buffers)."""
    return torch.cat([x, buffers]) if buffers.numel() else x


#: per-client totals kept in ``result["clients"]`` (arrays indexed by client id)
CLIENT_TOTALS = ("oracle_grad_full", "oracle_grad_samples", "bits_up", "rounds")


class Engine:
    """Runs one simulation; ``stop()`` may be called from any thread."""

    def __init__(self, sim: Simulation, callbacks: Callback | None = None,
                 executor: Any = None, stop_event: threading.Event | None = None,
                 checkpoint_file: Path | None = None):
        from ..execution import build_executor
        cfg = sim.config
        self.sim = sim
        self.callbacks = callbacks or Callback()
        self.executor = executor or build_executor(cfg)
        self._stop = stop_event or threading.Event()
        self._devices = parse_devices(cfg.gpu)
        self.checkpoint_path = checkpoint_file or checkpoint_path(
            cfg, cfg.out or f"{cfg.algorithm}_{cfg.run_id or 'run'}")
        self.resume = load_checkpoint(cfg.resume_from, cfg) if cfg.resume_from else None

    def stop(self) -> None:
        """Ask the run to end after the current round (results are kept)."""
        self._stop.set()

    def run(self) -> dict[str, Any]:
        sim, cfg, alg = self.sim, self.sim.config, self.sim.algorithm
        if cfg.deterministic:
            torch.use_deterministic_algorithms(True)
        evaluator = Evaluator(sim)
        info = RunInfo(config=cfg, total_rounds=cfg.rounds, problem=sim.problem_info(),
                       start_round=self.resume["round"] if self.resume else 0)
        x = sim.x0.clone()
        buffers = sim.oracle.buffers0.clone()  # the server's batch-norm statistics (may be empty)
        server_opt = build_optimizer(sim.server_optimiser, x, sim.global_lr,
                                     cfg.global_momentum, cfg.global_weight_decay)
        store = ClientStateStore(lambda i: alg.init_client_state(i, sim.x0))
        downlink = Downlink(sim.downlink, sim.x0)
        rows: list[dict[str, float]] = []
        totals = {"oracle_grad_full": 0, "oracle_grad_samples": 0, "bits_up_cum": 0,
                  "bits_down_cum": 0}
        per_client = {k: np.zeros(sim.num_clients, dtype=np.int64) for k in CLIENT_TOTALS}
        started_at, t0 = dt.datetime.now().isoformat(timespec="seconds"), time.perf_counter()
        status, error = "finished", None
        threads_before = torch.get_num_threads()  # every computation uses --intra-op-threads
        torch.set_num_threads(cfg.intra_op_threads)
        checkpoints = Checkpointer(self.checkpoint_path, cfg.checkpoint_every,
                                   cfg.save_async_threads)
        guard, pipeline = InterruptGuard(), None

        def emit(row: dict[str, float]) -> None:
            rows.append(row)
            self.callbacks.after_round(info, row)

        def parts() -> dict[str, Any]:  # the run's state: checkpointed, restored in place
            return dict(x=x, buffers=buffers, server_state=h, client_states=store,
                        server_optimizer=server_opt,
                        downlink=downlink.replicas, per_client=per_client, rows=rows,
                        totals=totals)

        def snapshot(rounds_done: int) -> dict[str, Any]:  # remote workers hand states back first
            collect_states(self.executor, store)
            return capture(rounds_done, cfg, **parts())
        aborted: RoundAborted | None = None  # a remote worker was lost
        self.callbacks.on_run_begin(info)
        try:
            guard.install()
            self.executor.start(sim)
            pipeline = EvalPipeline(sim, lambda view: Evaluator(view).evaluate_state, emit,
                                    cfg.eval_async_threads, cfg.intra_op_threads)
            # Step 0: H = INIT_SERVER_STATE(x0); row 0 = the initial point (or resume).
            h = alg.init_server_state(x, self._server_ctx(0, [], sim.global_lr, server_opt))
            if self.resume:
                restore(self.resume, sim.device, **parts())
                t0 -= rows[-1]["wall_time"]
            else:
                pipeline.add(self._row(0, 0.0, [], math.nan, 0, 0, sim.global_lr, totals,
                                       self._gpu_mb()), model_state(x, buffers))
            for t in range(info.start_round, cfg.rounds):
                guard.boundary()  # a Ctrl-C is raised here, between rounds
                if self._stop.is_set():
                    status = "stopped"
                    break
                # Step 1: sample the round's clients (server stream of round t).
                sctx = self._server_ctx(t, [], scheduled_lr(cfg.global_lr_type, sim.global_lr,
                                                            t, cfg.rounds), server_opt)
                sctx.participants = sample_clients(
                    cfg.client_sampling_type, sim.num_clients, cfg.num_clients_per_round,
                    cfg.client_sampling_poisson, sctx.generator)
                bits_up = bits_down = 0
                direction_norm = math.nan
                if sctx.participants:
                    # Step 2: s = CLIENT_STATE(H), broadcast with x (downlink, maybe compressed).
                    sctx.x = x.detach().clone()
                    sctx.broadcast = alg.client_state(h, sctx)
                    replicas = dict(downlink.replicas)  # put back if the round is aborted
                    x_sent, sent, bits_per_client = downlink.send(sctx.x, sctx.broadcast,
                                                                  sctx.generator)
                    plan = RoundPlan(t, x_sent, sent,
                                     scheduled_lr(cfg.local_lr_type, sim.local_lr, t, cfg.rounds),
                                     sctx.local_steps, buffers if buffers.numel() else None)
                    # Step 3: local work of every sampled client (any order, thread, machine).
                    results = run_round(self.executor, store, plan, sctx.participants)
                    # Step 4: persist client states and aggregate, in client-id order.
                    for r in results:
                        if r.new_state:
                            store.put(r.client_id, {**store.get(r.client_id, sim.device),
                                                    **r.new_state})
                        bits_up += r.bits_up
                        totals["oracle_grad_full"] += r.oracle_full
                        totals["oracle_grad_samples"] += r.oracle_samples
                        for key, value in zip(CLIENT_TOTALS, (r.oracle_full, r.oracle_samples,
                                                              r.bits_up, 1)):
                            per_client[key][r.client_id] += value
                    bits_down = bits_per_client * len(results)
                    agg = weighted_mean(results, sim.weights)
                    buffers = mean_buffers(results, sim.weights, buffers)
                    # Step 5: G = SERVER_GRADIENT, x = SERVER_OPT, H = SERVER_GLOBAL_STATE.
                    set_lr(server_opt, sctx.lr)
                    sctx.objective = probe = ObjectiveProbe(sim, sctx.participants)
                    g = alg.server_gradient(agg, h, sctx)
                    sctx.direction = g
                    direction_norm = float(g.norm())
                    with torch.no_grad():
                        x = alg.server_opt(x, g, sctx)
                    x.grad = None
                    h = alg.server_global_state(agg, h, sctx)
                    up, down = probe.bits_per_client(sim.dim, sim.dtype)  # line searches
                    bits_up += up * len(results)
                    bits_down += down * len(results)
                    per_client["bits_up"][sctx.participants] += up
                # Step 6: metrics and callbacks.
                totals["bits_up_cum"] += bits_up
                totals["bits_down_cum"] += bits_down
                evaluate = t + 1 == cfg.rounds or (t + 1) % cfg.eval_every == 0
                row = self._row(t + 1, time.perf_counter() - t0, sctx.participants,
                                direction_norm, bits_up, bits_down, sctx.lr, totals, self._gpu_mb())
                row.update(sctx.metrics)
                pipeline.add(row, model_state(x, buffers) if evaluate else None)
                if checkpoints.due(t + 1):
                    pipeline.flush()
                    checkpoints.save(snapshot(t + 1))
        except KeyboardInterrupt:
            status = "interrupted"
        except RoundAborted as e:  # the state is that of the last completed round
            downlink.replicas.clear()
            downlink.replicas.update(replicas)
            status, error, aborted = "failed", f"{type(e).__name__}: {e}", e
        except Exception as e:  # saved as a failed run, then re-raised by the caller
            status, error = "failed", f"{type(e).__name__}: {e}"
        finally:
            torch.set_num_threads(threads_before)
        # Pending evaluations; on stop/Ctrl-C (or a lost worker) a checkpoint of the last
        # completed round, taken before the executor closes (remote workers hold states).
        try:
            status, error = self._wind_down(
                status, error, pipeline, checkpoints,
                lambda: snapshot(int(rows[-1]["round"])) if rows and not guard.forced else None,
                aborted)
        finally:
            self.executor.close()
        guard.uninstall()
        result = self._result(rows, evaluator, x, status, error, info, started_at)
        result["clients"] = per_client
        if buffers.numel():  # batch-norm statistics that go with final_params
            result["final_buffers"] = buffers.detach().cpu().numpy().copy()
        self.callbacks.on_run_end(info, result)
        return result

    def _server_ctx(self, t: int, participants: list[int], lr: float,
                    optimizer: torch.optim.Optimizer) -> ServerContext:
        sim = self.sim
        return ServerContext(round=t, total_rounds=sim.config.rounds, num_clients=sim.num_clients,
                             participants=participants, lr=lr, options=sim.options,
                             generator=generator(sim.config.manual_runtime_seed, t, SERVER),
                             dim=sim.dim, dtype=sim.dtype, device=sim.device,
                             problem=sim.dataset.info, uplink=sim.uplink, optimizer=optimizer,
                             weights=sim.weights)

    def _gpu_mb(self) -> float:
        return peak_gpu_memory_mb(self._devices)

    @staticmethod
    def _wind_down(status: str, error: str | None, pipeline: EvalPipeline | None,
                   checkpoints: Checkpointer, snapshot: Callable[[], dict[str, Any] | None],
                   aborted: RoundAborted | None = None) -> tuple[str, str | None]:
        """End of run: pending evaluations, the stop/Ctrl-C checkpoint, checkpoint writes.

        ``aborted``: a remote worker was lost; when the state is complete the checkpoint is
        written too. The error then says which checkpoint to resume from. A failure here fails
        the run.
        """
        try:
            if pipeline is not None:
                pipeline.flush()
            resumable = aborted is not None and aborted.resumable
            if (status in ("stopped", "interrupted") or resumable) and checkpoints.enabled:
                data = snapshot()
                if data is not None:
                    checkpoints.save(data)
                    if resumable:
                        error = f"{error}; checkpoint of round {data['round']} written"
            checkpoints.close()
            if aborted is not None:
                path = checkpoints.path
                error += f"; continue with --resume-from {path}" if path and path.is_file() \
                    else "; no checkpoint to resume from (--checkpoint-every N writes them)"
        except Exception as e:
            if status != "failed":
                status, error = "failed", f"{type(e).__name__}: {e}"
        finally:
            if pipeline is not None:
                pipeline.close()
        return status, error

    @staticmethod
    def _row(t: int, wall: float, participants: list[int], direction_norm: float, bits_up: int,
             bits_down: int, lr: float, totals: dict[str, int], gpu_mb: float
             ) -> dict[str, float]:
        n = len(participants)
        return {"round": t, "wall_time": wall, "clients_in_round": n,
                "direction_norm": direction_norm,
                "oracle_grad_full": totals["oracle_grad_full"],
                "oracle_grad_samples": totals["oracle_grad_samples"],
                "bits_up_round": bits_up, "bits_up_per_client": bits_up / n if n else 0.0,
                "bits_up_cum": totals["bits_up_cum"], "bits_down_round": bits_down,
                "bits_down_cum": totals["bits_down_cum"], "lr_global": lr,
                "gpu_memory_mb": gpu_mb}

    def _result(self, rows: list[dict[str, float]], evaluator: Evaluator, x: torch.Tensor,
                status: str, error: str | None, info: RunInfo, started_at: str
                ) -> dict[str, Any]:
        from ..cli_line import command_line
        names = ROW_METRICS + evaluator.metric_names() + list(
            self.sim.algorithm.extra.get("metrics", ()))
        metrics = {m: np.array([row.get(m, math.nan) for row in rows],
                               dtype=np.int64 if m == "round" else np.float64) for m in names}
        env = environment_info([str(d) for d in self._devices])
        env["executor"] = self.executor.describe()
        env.update(started_at=started_at,
                   finished_at=dt.datetime.now().isoformat(timespec="seconds"))
        return {"format": "fl_pytorch-result", "version": 1, "status": status, "error": error,
                "config": self.sim.config.to_dict(),
                "command_line": command_line(self.sim.config),
                "metrics": metrics, "final_params": x.detach().cpu().numpy().copy(),
                "problem": info.problem, "environment": env}
