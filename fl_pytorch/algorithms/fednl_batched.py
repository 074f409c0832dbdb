"""The second-order family's LOCAL_STATE for all of a round's clients at once.

What ``fednl.py``, ``fednl_ls.py``, ``fednl_pp.py`` and ``newton.py`` compute client by client,
computed here with one batched oracle call (``core/client_batch.py``: one product for all the
clients' Hessians), one compressor call on the stacked Hessian differences and one weighted sum,
so that a round costs a few tensor operations instead of a Python loop over clients. The
learned Hessians stay in one (n, P) tensor on each client's support (sparse data) or on all D
entries; the round returns the ClientResults of the per-client path, with the aggregate in the
first (``summed``). Randomness comes from the same per-(seed, round, client) streams, drawn in
the same order, so results equal the per-client hooks' up to floating-point summation order
(``tests/convergence/test_fednl_batched.py``). Used by ``engine/batched_executor.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..compressors.base import value_bits
from ..compressors.matrix import Packed, upper_size
from ..compressors.matrix.base import MatrixMessage
from ..core.client_batch import ClientBatch, supports_batching
from ..core.local import ClientResult
from ..utils.rng import generator as stream


def batched_runner(mode: str) -> Callable[[Any], Any]:
    """``make(sim)``: the batched clients of ``mode`` for ``sim``, or None if it cannot batch."""
    def make(sim: Any) -> BatchedClients | None:
        return BatchedClients(sim, mode) if supports_batching(sim.oracle) else None
    return make


def symmetric_matvec(values: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
                     x: torch.Tensor) -> torch.Tensor:
    """(s, d) products ``M_r x`` of packed symmetric matrices on supports (rows/cols per slot)."""
    out = values.new_zeros(values.shape[0], x.numel() + 1)
    out.scatter_add_(1, rows, values * x[cols.clamp(max=x.numel() - 1)])
    off = torch.where(rows != cols, values, 0.0)
    out.scatter_add_(1, cols, off * x[rows.clamp(max=x.numel() - 1)])
    return out[:, :-1]


class Streams(Sequence):
    """The clients' generators of a round, made when a compressor asks (Top-K never does)."""

    def __init__(self, seed: int, round_index: int, client_ids: list[int]):
        self.seed, self.round, self.ids = seed, round_index, client_ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return stream(self.seed, self.round, self.ids[i])


class BatchedClients:
    """The clients of one simulation, held batched; ``run`` one round, ``collect`` states."""

    def __init__(self, sim: Any, mode: str):
        self.sim, self.mode, self.options = sim, mode, sim.options
        comp = self.options.get("compressor")
        dense = comp is not None and not comp.entrywise
        self.batch = ClientBatch(sim.oracle, sim.client_data, "dense" if dense else None)
        self.d, self.index = sim.dim, self.batch.index
        self.size = upper_size(self.d)
        self.state: dict[str, torch.Tensor] | None = None
        self.lookup = self._lookup() if getattr(comp, "random_positions", False) else None

    def _lookup(self) -> torch.Tensor | None:
        """(n, D + 1) int32 slot of every packed position (-1 off the support), or None."""
        n, width = self.index.shape
        if width == self.size:
            return None
        table = torch.full((n, self.size + 1), -1, dtype=torch.int32, device=self.index.device)
        slots = torch.arange(width, dtype=torch.int32, device=self.index.device)
        return table.scatter_(1, self.index, slots.expand(n, width))

    # ---------------------------------------------------------------- states
    def _dense_rows(self, compact: torch.Tensor) -> torch.Tensor:
        out = compact.new_zeros(compact.shape[0], self.size + 1)
        return out.scatter_(1, self.index[:compact.shape[0]], compact)[:, :-1]

    def load(self, store: Any) -> None:
        """Take every client's state from the engine's store (a resume), or start at zero.

        A fresh run's store is empty: the family's initial client states are zeros, built here
        in the batched layout rather than as n dense vectors.
        """
        n, width = self.index.shape
        self.state = {}
        if self.mode == "newton":
            return
        dtype, device = self.sim.dtype, self.sim.device
        self.state["H"] = torch.zeros(n, width, dtype=dtype, device=device)
        if self.mode == "fednl-pp":
            self.state["l"] = torch.zeros(n, dtype=dtype, device=device)
            self.state["g"] = torch.zeros(n, self.d, dtype=dtype, device=device)
        if not len(store):
            return
        for i in range(n):
            saved = store.get(i, device)
            dense = torch.cat([saved["H"], saved["H"].new_zeros(1)])
            self.state["H"][i] = dense.gather(0, self.index[i])
            if torch.count_nonzero(self.state["H"][i]) != torch.count_nonzero(saved["H"]):
                raise RuntimeError(f"client {i}: learned Hessian nonzero off its support")
            if self.mode == "fednl-pp":
                self.state["l"][i], self.state["g"][i] = saved["l"], saved["g"]

    def collect(self, store: Any) -> None:
        """Put every client's state into the store (before a checkpoint)."""
        if not self.state:
            return
        dense = self._dense_rows(self.state["H"])
        for i in range(self.batch.num_clients):
            state = {"H": dense[i].clone()}
            if self.mode == "fednl-pp":
                state.update(l=self.state["l"][i].clone(), g=self.state["g"][i].clone())
            store.put(i, state)

    # ---------------------------------------------------------------- one round
    def run(self, plan: Any, client_ids: list[int], store: Any) -> list[ClientResult]:
        """The round's ClientResults, in the order of ``client_ids``."""
        if self.state is None:
            self.load(store)
        ids = torch.as_tensor(client_ids, dtype=torch.int64, device=self.index.device)
        every = len(client_ids) == self.batch.num_clients
        seed = self.sim.config.manual_runtime_seed
        gens = Streams(seed, plan.round, client_ids)
        ev = self.batch.evaluate(plan.x, client_ids)
        step = {"fednl": self._learn, "fednl-ls": self._learn, "newton": self._newton,
                "fednl-pp": self._learn_pp}[self.mode]
        hessian, vectors, bits = step(plan, ev, ids, every, gens)
        weights = self.sim.weights[ids]
        share = weights / weights.sum()
        summed = {k: share @ v for k, v in vectors.items()}
        summed["S"] = hessian.weighted_sum(share, ev.index, self.size)
        sizes = self.batch.sizes[ids.cpu()].tolist()
        results = [ClientResult(i, {}, {}, int(b), 1, m, summed=True)
                   for i, b, m in zip(client_ids, bits.tolist(), sizes)]
        results[0].message = summed
        return results

    def _coordinates(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(row, column) of every slot (d for padding)."""
        rows, cols = torch.triu_indices(self.d, self.d, device=index.device)
        pad = torch.tensor([self.d], device=index.device)
        return torch.cat([rows, pad])[index], torch.cat([cols, pad])[index]

    def _value_bits(self) -> int:
        return value_bits(torch.empty(0, dtype=self.sim.dtype))

    def _packed(self, values: torch.Tensor, ev: Any, ids: torch.Tensor) -> Packed:
        lookup = self.lookup
        if lookup is not None and ids.numel() != lookup.shape[0]:
            lookup = lookup[ids]
        return Packed(values, ev.index, self.d, ev.diagonal, lookup)

    def _learn(self, plan, ev, ids, every, gens):
        """FedNL / FedNL-LS: compressed Hessian differences (round 0 of init:hessian: uploads)."""
        b, opts = self._value_bits(), self.options
        learned = self.state["H"] if every else self.state["H"][ids]
        base = self.d * b + (b if self.mode == "fednl-ls" else 0)
        if plan.round == 0 and opts["init"] == "hessian":
            learned.copy_(ev.hessians)
            bits = torch.full((len(gens),), base + self.size * b)
            sent = MatrixMessage(bits, values=ev.hessians)
            error = ev.hessians.new_zeros(len(gens))
        else:
            diff = self._packed(ev.hessians.sub_(learned), ev, ids)
            error = diff.frobenius_sq().clamp(min=0.0).sqrt()
            sent = opts["compressor"].compress(diff, gens)
            sent.add_to(learned, opts["alpha"])
            sent.bits = sent.bits + base + (b if opts["option"] == "2" else 0)
        if not every:
            self.state["H"][ids] = learned
        vectors = {"g": ev.grads, "l": error}
        if self.mode == "fednl-ls":
            vectors["f"] = ev.values
        return sent, vectors, sent.bits

    def _newton(self, plan, ev, ids, every, gens):
        """Newton: the exact gradient and Hessian, uncompressed."""
        bits = torch.full((len(gens),), (self.d + self.size) * self._value_bits())
        return MatrixMessage(bits, values=ev.hessians), {"g": ev.grads}, bits

    def _learn_pp(self, plan, ev, ids, every, gens):
        """FedNL-PP (Algorithm 3): differences of H_i, l_i and g_i; round 0 initializes."""
        b, opts, x = self._value_bits(), self.options, plan.x
        old = {k: v[ids] for k, v in self.state.items()}
        if plan.broadcast["init"]:
            hess_init = opts["init"] == "hessian"
            learned = ev.hessians.clone() if hess_init else torch.zeros_like(ev.hessians)
            bits = torch.full((len(gens),), (self.size * b if hess_init else 0) + (self.d + 1) * b)
            sent = MatrixMessage(bits, values=learned)
        else:
            sent = opts["compressor"].compress(self._packed(ev.hessians - old["H"], ev, ids), gens)
            learned = old["H"].clone()
            sent.add_to(learned, opts["alpha"])
            bits = sent.bits + (self.d + 1) * b
        error = self._packed(learned - ev.hessians, ev, ids).frobenius_sq().clamp(min=0.0).sqrt()
        rows, cols = self._coordinates(ev.index)
        shift = symmetric_matvec(learned, rows, cols, x) + error[:, None] * x - ev.grads
        for key, value in {"H": learned, "l": error, "g": shift}.items():
            self.state[key][ids] = value
        if plan.broadcast["init"]:
            return sent, {"l": error, "g": shift}, bits
        return sent, {"l": error - old["l"], "g": shift - old["g"]}, bits
