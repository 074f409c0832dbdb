"""``--threadpool-for-local-opt vectorized``: a round's clients as tensor operations over stacks.

A round executor (``execution/base.py:RoundExecutor``): it receives the whole round and runs
the local loop of Algorithm 1 once for a group of clients, with ``[clients, d]`` iterates, a
batched oracle (``vectorized/oracles.py``) and the algorithm's hooks called once per group
(``core/batchable.py``; hooks that are not batchable run client by client,
``vectorized/fallback.py``). What the per-client path draws at random it draws here too, from
the same per-(seed, round, client) generators in the same order: first each client's minibatch
plan (``core/batches.py``), then each compression, row by row. So the results equal the
sequential executor's up to the order of floating-point sums (tested to 1e-12 in float64).

Clients are grouped by their number of local steps, and a group is split so that one
``[clients, d]`` stack holds at most :data:`STACK_ELEMENTS` numbers (bounded memory for models
with millions of parameters). The client states are read and written as stacks through the
engine's store (``core/client_state.py``), so a checkpoint needs nothing from this executor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..core.batches import PERMUTATION_KEY, client_plan, fixed_plan
from ..core.client_state import ClientStateStore
from ..core.local import BatchResult, HookError, RoundPlan, run_client
from ..core.optim import build_optimizer
from ..utils.lists import int64_tensor
from ..utils.rng import stream_seeds
from . import fallback
from .context import ClientBatch, expand
from .obstacles import vectorization_obstacle
from .oracles import batched_oracle
from .rows import ClientRows

#: the most numbers in one [clients, d] stack (64 MB in float64); larger rounds run in parts
STACK_ELEMENTS = 1 << 23


class VectorizedExecutor:
    """Runs each round's clients in groups of batched tensor operations on one device."""

    name = "vectorized"

    def __init__(self) -> None:
        self._sim: Any = None
        self._oracle: Any = None
        self._rows: ClientRows | None = None
        self._hooks: dict[str, Any] = {}
        self._streams: list[torch.Generator] = []  # reseeded every round (no allocation)
        self._obstacle: str | None = None

    def start(self, sim: Any) -> None:
        """Build the batched oracle and the data index (or note why the run cannot batch).

        A simulation changed after the executor was chosen (a hook replaced) may no longer be
        vectorizable: its clients then run one by one (``run_client``), still correct.
        """
        self._sim = sim
        self._obstacle = vectorization_obstacle(sim)
        if self._obstacle is not None:
            return
        self._oracle = batched_oracle(sim.oracle)
        self._rows = ClientRows(sim.dataset, sim.device)
        alg = sim.algorithm
        self._hooks = {"local_gradient": alg.local_gradient,  # batchable (choice.py)
                       "client_opt": fallback.client_opt(alg.client_opt),
                       "local_state": fallback.local_state(alg.local_state)}

    def run_round(self, plan: RoundPlan, client_ids: Sequence[int], store: ClientStateStore
                  ) -> list[BatchResult]:
        """The round's results, one :class:`BatchResult` per group of clients."""
        sim = self._sim
        if self._obstacle is not None:
            return [run_client(sim, store, plan, i) for i in client_ids]
        plan = plan.to(sim.device)
        ids = list(client_ids)
        if plan.buffers is not None:
            sim.oracle.load_buffers(plan.buffers)
        states = store.get_many(ids, sim.device)
        gens, plans, samplers = self._plans(plan, ids, states)
        results = []
        for members in self._groups(plans, sim.dim):
            group = {k: _rows(v, members) for k, v in states.items()}
            results.append(self._run_group(
                plan, [ids[j] for j in members], group, [gens[j] for j in members],
                [plans[j] for j in members], [samplers[j] for j in members]))
        return results

    def _plans(self, plan: RoundPlan, ids: list[int], states: dict[str, Any]
               ) -> tuple[list[torch.Generator], list[list], list[dict]]:
        """Each client's generator and minibatch plan (its first draws), as run_client's."""
        sim, local, alg = self._sim, self._sim.local, self._sim.algorithm
        iters = (plan.local_steps or local.iterations) if alg.local_steps else 1
        steps_mode = local.steps_mode or not alg.local_steps or plan.local_steps is not None
        sizes = self._rows.sizes[ids].tolist()
        gens = self._generators(len(ids))
        seed, t = local.seed, plan.round
        for gen, stream in zip(gens, stream_seeds(seed, t, ids)):
            gen.manual_seed(stream)
        fixed = fixed_plan(sim.options, sizes, local.batch_size, iters, steps_mode)
        if fixed is not None:  # the estimator draws nothing
            return gens, [fixed[n] for n in sizes], [{}] * len(ids)
        kept = states.get(PERMUTATION_KEY)
        plans, samplers = [], []
        for j, (n, gen) in enumerate(zip(sizes, gens)):
            own = {} if kept is None or kept[j] is None else {PERMUTATION_KEY: kept[j]}
            batches, sampler = client_plan(sim.options, n, local.batch_size, iters, steps_mode,
                                           gen, own)
            plans.append(batches)
            samplers.append(sampler)
        return gens, plans, samplers

    def _generators(self, count: int) -> list[torch.Generator]:
        """``count`` CPU generators, made once and reseeded every round."""
        while len(self._streams) < count:
            self._streams.append(torch.Generator())
        return self._streams[:count]

    @staticmethod
    def _groups(plans: list[list], dim: int) -> list[list[int]]:
        """Positions of the clients grouped by number of steps, in parts of bounded memory."""
        lengths = [len(p) for p in plans]
        by_steps: dict[int, list[int]] = {}
        if len(set(lengths)) == 1:
            by_steps[lengths[0]] = list(range(len(plans)))
        else:
            for j, n in enumerate(lengths):
                by_steps.setdefault(n, []).append(j)
        most = max(1, STACK_ELEMENTS // max(dim, 1))
        return [members[a:a + most] for members in by_steps.values()
                for a in range(0, len(members), most)]

    def _run_group(self, plan: RoundPlan, ids: list[int], state: dict[str, Any],
                   gens: list[torch.Generator], plans: list[list], samplers: list[dict]
                   ) -> BatchResult:
        sim, alg, hooks = self._sim, self._sim.algorithm, self._hooks
        c = len(ids)
        ctx = ClientBatch(
            client_ids=ids, round=plan.round, x=expand(plan.x, c),
            broadcast={k: expand(v, c) for k, v in plan.broadcast.items()}, state=state,
            options=sim.options, generators=gens, lr=plan.local_lr, steps=len(plans[0]),
            oracle=self._oracle, rows=self._rows, uplink=sim.uplink, plans=plans, sim=sim,
            plan=plan)
        hook, work = "local_gradient", {k: _work(v) for k, v in state.items()}
        try:
            y = ctx.x
            if alg.local_steps:
                y = ctx.x.clone()
                local = sim.local
                ctx.optimizer = build_optimizer(local.optimiser, y, plan.local_lr,
                                                local.momentum, local.weight_decay)
                for k in range(ctx.steps):
                    ctx.step, ctx.batch = k, self._step_rows(ids, plans, k)
                    hook = "local_gradient"
                    g, work = hooks["local_gradient"](ctx, y, work)
                    hook = "client_opt"
                    y = hooks["client_opt"](ctx, y, g, k)
                y.grad = None
            else:
                ctx.batch = self._step_rows(ids, plans, 0)
            hook = "local_state"
            message, updates = hooks["local_state"](ctx, ctx.x, y, work)
        except Exception as e:
            raise HookError(f"round {plan.round}, clients {_span(ids)}, hook {hook.upper()} "
                            f"of {alg.name!r}: {type(e).__name__}: {e}") from e
        return BatchResult(ids, message, {**_sampler_states(samplers), **updates}, ctx.bits_up,
                           ctx.oracle_full, ctx.oracle_samples,
                           None if plan.buffers is None else expand(plan.buffers, c))

    def _step_rows(self, ids: list[int], plans: list[list], k: int) -> Any:
        """Step k's samples of the group (None when every client uses all of its samples)."""
        batches = [p[k] for p in plans]
        if all(b is None for b in batches):
            return None
        return self._rows.gather(ids, batches)

    def collect_states(self, store: ClientStateStore) -> None:
        """Nothing to collect: the states live in the engine's store."""

    def close(self) -> None:
        """Nothing to release."""

    def describe(self) -> str:
        if self._obstacle is not None:
            return f"vectorized, running clients one by one ({self._obstacle})"
        kind = "closed-form linear" if getattr(self._oracle, "closed_form", False) \
            else "torch.func vmap"
        device = self._sim.device if self._sim is not None else "one device"
        return f"vectorized: clients of a round batched ({kind} oracle) on {device}"


def _rows(value: Any, members: list[int]) -> Any:
    """The group's rows of a batched state value."""
    if isinstance(value, torch.Tensor):
        if len(members) == value.shape[0]:
            return value
        return value[int64_tensor(members, value.device)]
    return fallback.PerClient(value[j] for j in members)


def _work(value: Any) -> Any:
    return value if isinstance(value, torch.Tensor) else fallback.PerClient(value)


def _sampler_states(samplers: list[dict]) -> dict[str, list]:
    """The minibatch samplers' state entries, per client (their lengths differ)."""
    if not any(samplers):
        return {}
    keys = {k for s in samplers for k in s}
    return {k: [s.get(k) for s in samplers] for k in keys}


def _span(ids: list[int]) -> str:
    return str(ids[0]) if len(ids) == 1 else f"{ids[0]}..{ids[-1]} ({len(ids)} of them)"
