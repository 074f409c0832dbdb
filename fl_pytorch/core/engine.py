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
from typing import Any, Optional

import numpy as np
import torch

from ..utils.environment import environment_info
from ..utils.rng import SERVER, generator
from .callbacks import Callback, RunInfo
from .client_state import ClientStateStore
from .context import ServerContext
from .local import ClientResult, RoundPlan, run_client
from .metrics import ROW_METRICS, Evaluator
from .optim import build_optimizer, scheduled_lr, set_lr
from .sampling import sample_clients
from .simulation import Simulation


def weighted_mean(results: list[ClientResult], weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Sum_i w_i m_i / sum_i w_i over the round's clients, accumulated in client-id order."""
    w = [float(weights[r.client_id]) for r in results]
    total = sum(w)
    agg: dict[str, torch.Tensor] = {}
    for wi, r in zip(w, results):
        for key, value in r.message.items():
            term = value * (wi / total)
            agg[key] = term if key not in agg else agg[key] + term
    return agg


def broadcast_bits(broadcast: dict[str, Any], x: torch.Tensor) -> int:
    """Downlink bits to one client: the model and every broadcast tensor at full precision;
    Python flags (e.g. MARINA's coin) cost one bit."""
    bits = x.numel() * torch.finfo(x.dtype).bits
    for v in broadcast.values():
        bits += v.numel() * torch.finfo(v.dtype).bits if isinstance(v, torch.Tensor) else 1
    return bits


class Engine:
    """Runs one simulation; ``stop()`` may be called from any thread."""

    def __init__(self, sim: Simulation, callbacks: Optional[Callback] = None,
                 executor: Any = None, stop_event: Optional[threading.Event] = None):
        from ..execution import SequentialExecutor
        self.sim = sim
        self.callbacks = callbacks or Callback()
        self.executor = executor or SequentialExecutor()
        self._stop = stop_event or threading.Event()

    def stop(self) -> None:
        """Ask the run to end after the current round (results are kept)."""
        self._stop.set()

    def run(self) -> dict[str, Any]:
        sim, cfg, alg = self.sim, self.sim.config, self.sim.algorithm
        if cfg.deterministic:
            torch.use_deterministic_algorithms(True)
        evaluator = Evaluator(sim)
        info = RunInfo(config=cfg, total_rounds=cfg.rounds, problem=sim.problem_info())
        x = sim.x0.clone()
        server_opt = build_optimizer(cfg.global_optimiser, x, cfg.global_lr, cfg.global_momentum,
                                     cfg.global_weight_decay)
        store = ClientStateStore(lambda i: alg.init_client_state(i, sim.x0))
        rows: list[dict[str, float]] = []
        totals = {"oracle_grad_full": 0, "oracle_grad_samples": 0, "bits_up_cum": 0,
                  "bits_down_cum": 0}
        started_at, t0 = dt.datetime.now().isoformat(timespec="seconds"), time.perf_counter()
        status, error = "finished", None
        self.callbacks.on_run_begin(info)
        try:
            # Step 0: H = INIT_SERVER_STATE(x0); row 0 = the initial point.
            h = alg.init_server_state(x, self._server_ctx(0, [], cfg.global_lr, server_opt))
            rows.append(self._row(0, 0.0, [], math.nan, 0, 0, cfg.global_lr, totals,
                                  evaluator.evaluate(x)))
            self.callbacks.after_round(info, rows[-1])
            for t in range(cfg.rounds):
                if self._stop.is_set():
                    status = "stopped"
                    break
                # Step 1: sample the round's clients (server stream of round t).
                sctx = self._server_ctx(t, [], scheduled_lr(cfg.global_lr_type, cfg.global_lr,
                                                            t, cfg.rounds), server_opt)
                sctx.participants = sample_clients(
                    cfg.client_sampling_type, sim.num_clients, cfg.num_clients_per_round,
                    cfg.client_sampling_poisson, sctx.generator)
                bits_up = bits_down = 0
                direction_norm = math.nan
                if sctx.participants:
                    # Step 2: s = CLIENT_STATE(H), broadcast with x.
                    sctx.broadcast = alg.client_state(h, sctx)
                    plan = RoundPlan(t, x.detach().clone(), sctx.broadcast,
                                     scheduled_lr(cfg.local_lr_type, cfg.local_lr, t, cfg.rounds))
                    # Step 3: local work of every sampled client (any order, any thread).
                    results = self.executor.map(lambda i: run_client(sim, store, plan, i),
                                                sctx.participants)
                    # Step 4: persist client states and aggregate, in client-id order.
                    for r in results:
                        if r.new_state:
                            store.put(r.client_id, {**store.get(r.client_id, sim.device),
                                                    **r.new_state})
                        bits_up += r.bits_up
                        totals["oracle_grad_full"] += r.oracle_full
                        totals["oracle_grad_samples"] += r.oracle_samples
                    bits_down = broadcast_bits(sctx.broadcast, x) * len(results)
                    agg = weighted_mean(results, sim.weights)
                    # Step 5: G = SERVER_GRADIENT, x = SERVER_OPT, H = SERVER_GLOBAL_STATE.
                    set_lr(server_opt, sctx.lr)
                    g = alg.server_gradient(agg, h, sctx)
                    sctx.direction = g
                    direction_norm = float(g.norm())
                    with torch.no_grad():
                        x = alg.server_opt(x, g, sctx)
                    x.grad = None
                    h = alg.server_global_state(agg, h, sctx)
                # Step 6: metrics and callbacks.
                totals["bits_up_cum"] += bits_up
                totals["bits_down_cum"] += bits_down
                last = t + 1 == cfg.rounds
                evaluated = evaluator.evaluate(x) if last or (t + 1) % cfg.eval_every == 0 \
                    else {}
                rows.append(self._row(t + 1, time.perf_counter() - t0, sctx.participants,
                                      direction_norm, bits_up, bits_down, sctx.lr, totals,
                                      evaluated))
                self.callbacks.after_round(info, rows[-1])
        except KeyboardInterrupt:
            status = "interrupted"
        except Exception as e:  # saved as a failed run, then re-raised by the caller
            status, error = "failed", f"{type(e).__name__}: {e}"
        finally:
            self.executor.close()
        result = self._result(rows, evaluator, x, status, error, info, started_at)
        self.callbacks.on_run_end(info, result)
        return result

    def _server_ctx(self, t: int, participants: list[int], lr: float,
                    optimizer: torch.optim.Optimizer) -> ServerContext:
        sim = self.sim
        return ServerContext(round=t, total_rounds=sim.config.rounds, num_clients=sim.num_clients,
                             participants=participants, lr=lr, options=sim.options,
                             generator=generator(sim.config.manual_runtime_seed, t, SERVER),
                             dim=sim.dim, dtype=sim.dtype, device=sim.device,
                             problem=sim.dataset.info, uplink=sim.uplink, optimizer=optimizer)

    @staticmethod
    def _row(t: int, wall: float, participants: list[int], direction_norm: float, bits_up: int,
             bits_down: int, lr: float, totals: dict[str, int], evaluated: dict[str, float]
             ) -> dict[str, float]:
        n = len(participants)
        return {"round": t, "wall_time": wall, "clients_in_round": n,
                "direction_norm": direction_norm,
                "oracle_grad_full": totals["oracle_grad_full"],
                "oracle_grad_samples": totals["oracle_grad_samples"],
                "bits_up_round": bits_up, "bits_up_per_client": bits_up / n if n else 0.0,
                "bits_up_cum": totals["bits_up_cum"], "bits_down_round": bits_down,
                "bits_down_cum": totals["bits_down_cum"], "lr_global": lr, **evaluated}

    def _result(self, rows: list[dict[str, float]], evaluator: Evaluator, x: torch.Tensor,
                status: str, error: Optional[str], info: RunInfo, started_at: str
                ) -> dict[str, Any]:
        from ..cli_line import command_line
        names = ROW_METRICS + evaluator.metric_names()
        metrics = {m: np.array([row.get(m, math.nan) for row in rows],
                               dtype=np.int64 if m == "round" else np.float64) for m in names}
        env = environment_info([str(self.sim.device)])
        env.update(started_at=started_at,
                   finished_at=dt.datetime.now().isoformat(timespec="seconds"))
        return {"format": "fl_pytorch-result", "version": 1, "status": status, "error": error,
                "config": self.sim.config.to_dict(),
                "command_line": command_line(self.sim.config),
                "metrics": metrics, "final_params": x.detach().cpu().numpy().copy(),
                "problem": info.problem, "environment": env}
