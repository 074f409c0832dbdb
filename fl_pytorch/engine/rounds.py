"""One round of generalized FedAvg (paper, Algorithm 1), step by step.

Step 1 samples the round's clients from the server's stream of the round; step 2 computes
CLIENT_STATE and sends it with x (the downlink, maybe compressed); step 3 runs the clients' local
work on the executor (any order, thread or machine); step 4 stores their new states and
aggregates their messages in client-id order; step 5 is SERVER_GRADIENT, SERVER_OPT and
SERVER_GLOBAL_STATE.

The system model (``sim.system``, docs/heterogeneity.md) removes the clients that drop out before
step 2 and, between steps 3 and 4, those that miss the round's deadline: both are then treated as
clients that were not sampled, and the round's simulated time goes to the outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..core.aggregation import mean_buffers, weighted_mean
from ..core.context import ServerContext
from ..core.hooks import RoundStart
from ..core.local import (
    BatchResult,
    ClientResult,
    RoundAborted,
    RoundPlan,
    client_results,
    run_round,
)
from ..core.optim import scheduled_lr, set_lr
from ..core.probes import ObjectiveProbe
from ..core.sampling import sample_clients
from ..heterogeneity import RoundTiming, WorkArrays, training_flops
from ..utils.rng import SERVER, generator
from .run_state import RunState
from .simulation import Simulation


@dataclass
class RoundOutcome:
    """What one round did, for metrics and callbacks."""

    round: int
    lr: float
    participants: list[int] = field(default_factory=list)
    results: list[ClientResult | BatchResult] = field(default_factory=list)
    direction_norm: float = math.nan
    bits_down: int = 0
    #: bits per participant of the server's questions between messages and step (line search)
    probe_bits: tuple[int, int] = (0, 0)
    #: metrics the server hooks reported this round (``Algorithm.extra["metrics"]``)
    metrics: dict[str, float] = field(default_factory=dict)
    #: the system model's view: simulated time, dropped, late and kept clients
    timing: RoundTiming = field(default_factory=lambda: RoundTiming(0.0, [], [], []))


class RoundRunner:
    """Runs rounds of ``sim``'s algorithm on ``executor``, updating a :class:`RunState`."""

    def __init__(self, sim: Simulation, executor: Any):
        self.sim, self.executor, self.alg = sim, executor, sim.algorithm

    def server_context(self, t: int, state: RunState) -> ServerContext:
        """The server's context of round t (its own random stream, the scheduled lr)."""
        sim, cfg = self.sim, self.sim.config
        return ServerContext(
            round=t, total_rounds=cfg.rounds, num_clients=sim.num_clients, participants=[],
            lr=scheduled_lr(cfg.global_lr_type, sim.global_lr, t, cfg.rounds),
            options=sim.options, generator=generator(cfg.manual_runtime_seed, t, SERVER),
            dim=sim.dim, dtype=sim.dtype, device=sim.device, problem=sim.dataset.info,
            uplink=sim.uplink, optimizer=state.server_optimizer, weights=sim.weights,
            max_local_steps=sim.max_local_steps)

    def run(self, state: RunState, t: int) -> RoundOutcome:
        """Steps 1 to 5 of round t."""
        cfg, system = self.sim.config, self.sim.system
        sctx = self.server_context(t, state)
        sampled = sample_clients(  # step 1
            cfg.client_sampling_type, self.sim.num_clients, cfg.num_clients_per_round,
            cfg.client_sampling_poisson, sctx.generator)
        sctx.participants = self._available(t, sampled)
        if not sctx.participants:
            return RoundOutcome(t, sctx.lr, timing=system.round_timing(t, sampled, {}))
        replicas = dict(state.downlink.replicas)  # put back if the round is aborted
        try:
            plan, bits_per_client, asked = self._broadcast(state, sctx, sampled)  # step 2
            results = run_round(self.executor, state.store, plan, sctx.participants)  # step 3
        except RoundAborted:
            state.downlink.replicas.clear()
            state.downlink.replicas.update(replicas)
            raise
        timing = self._timing(t, asked, results, bits_per_client)
        if timing.late:  # their results (a batch's rows too) are dropped
            kept = set(timing.kept)
            results = [r for r in client_results(results) if r.client_id in kept]
            sctx.participants = [i for i in sctx.participants if i in kept]
        bits_down = bits_per_client * len(timing.client_time)  # late clients got the broadcast
        if not results:
            return RoundOutcome(t, sctx.lr, bits_down=bits_down, timing=timing)
        agg = self._aggregate(state, results)  # step 4
        sctx.objective = probe = ObjectiveProbe(self.sim, sctx.participants)
        norm = self._server_step(state, agg, sctx)  # step 5
        return RoundOutcome(t, sctx.lr, sctx.participants, results, norm, bits_down,
                            probe.bits_per_client(self.sim.dim, self.sim.dtype), sctx.metrics,
                            timing)

    def _available(self, t: int, clients: list[int]) -> list[int]:
        """``clients`` without those that drop out of round t."""
        gone = set(self.sim.system.dropped(t, clients))
        return [i for i in clients if i not in gone] if gone else clients

    def _timing(self, t: int, asked: list[int], results: list[ClientResult | BatchResult],
                bits_down: int) -> RoundTiming:
        """The system model's view of round t: who is kept, who is late, how long it took."""
        ids, samples, bits_up = [], [], []
        for r in results:
            if isinstance(r, BatchResult):
                ids += r.client_ids
                samples += r.oracle_samples.tolist()
                bits_up += r.bits_up.tolist()
            else:
                ids.append(r.client_id)
                samples.append(r.oracle_samples)
                bits_up.append(r.bits_up)
        work = WorkArrays(np.asarray(ids, dtype=np.int64),
                          training_flops(self.sim.dim, np.asarray(samples, dtype=np.float64)),
                          np.asarray(bits_up, dtype=np.int64),
                          np.full(len(ids), bits_down, dtype=np.int64))
        return self.sim.system.round_timing_of_arrays(t, asked, work)

    def _broadcast(self, state: RunState, sctx: ServerContext, sampled: list[int]
                   ) -> tuple[RoundPlan, int, list[int]]:
        """Step 2: s = CLIENT_STATE(H), sent with x.

        Returns the round's plan, the bits per client and the clients asked to take part (the
        sampled ones, or those a RoundStart names; dropped ones included).
        """
        sim, cfg = self.sim, self.sim.config
        sctx.x = state.x.detach().clone()
        started = self.alg.client_state(state.h, sctx)
        asked = sampled
        if isinstance(started, RoundStart):
            if started.participants:
                asked = started.participants
                sctx.participants = self._available(sctx.round, asked)
            sctx.local_steps = started.local_steps
            started = started.broadcast
        sctx.broadcast = started
        x_sent, sent, bits = state.downlink.send(sctx.x, sctx.broadcast, sctx.generator)
        local_lr = scheduled_lr(cfg.local_lr_type, sim.local_lr, sctx.round, cfg.rounds)
        buffers = state.buffers if state.buffers.numel() else None
        plan = RoundPlan(sctx.round, x_sent, sent, local_lr, sctx.local_steps, buffers)
        return plan, bits, asked

    def _aggregate(self, state: RunState, results: list[ClientResult | BatchResult]
                   ) -> dict[str, torch.Tensor]:
        """Step 4: persist the clients' new states; their weighted mean message and buffers."""
        for r in results:
            if isinstance(r, BatchResult):
                state.store.put_many(r.client_ids, r.new_state)
            elif r.new_state:
                state.store.update(r.client_id, r.new_state)
        state.buffers = mean_buffers(results, self.sim.weights, state.buffers)
        return weighted_mean(results, self.sim.weights)

    def _server_step(self, state: RunState, agg: dict[str, torch.Tensor],
                     sctx: ServerContext) -> float:
        """Step 5: G = SERVER_GRADIENT, x = SERVER_OPT, H = SERVER_GLOBAL_STATE; ||G||."""
        set_lr(state.server_optimizer, sctx.lr)
        g = self.alg.server_gradient(agg, state.h, sctx)
        sctx.direction = g
        norm = float(g.norm())
        with torch.no_grad():
            state.x = self.alg.server_opt(state.x, g, sctx)
        state.x.grad = None
        state.h = self.alg.server_global_state(agg, state.h, sctx)
        return norm
