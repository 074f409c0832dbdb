"""Per-client persistent state (SCAFFOLD's c_i, DIANA's h_i, MARINA's last gradient, ...).

Owned by the engine, keyed by client id, created lazily from the algorithm's initializer.
Only the engine writes to it, after a round's clients have finished, in client-id order.

Per client, a state is a dict of tensors. Keys written for a batch of clients at once
(:meth:`ClientStateStore.put_many`, the vectorized executor) are kept as the rows of one table
per key (``core/state_table.py``), so a round reads and writes them as ``[clients, ...]``
stacks; reading one client gives a view of its row, writing copies into it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from .state_table import StateTable

State = dict[str, torch.Tensor]
#: a key of a batch of clients: a ``[clients, ...]`` stack, or one entry per client (None when
#: the client lacks the key) where the shapes differ
Stacked = dict[str, "torch.Tensor | list[torch.Tensor | None]"]


class ClientStateStore:
    """In-memory store; ``offload_to`` keeps the tensors on another device (e.g. CPU)."""

    def __init__(self, init: Callable[[int], State], offload_to: torch.device | None = None):
        self._init = init
        self._states: dict[int, State] = {}  # the keys that are not in a table
        self._tables: dict[str, StateTable] = {}
        self._offload = offload_to

    def _own(self, t: torch.Tensor) -> torch.Tensor:
        return t if self._offload is None else t.to(self._offload)

    def _stored(self, client_id: int) -> State:
        """The client's entries outside the tables (initialized on first use)."""
        state = self._states.get(client_id)
        if state is None:
            self.put(client_id, self._init(client_id))
            state = self._states[client_id]
        return state

    def get(self, client_id: int, device: torch.device) -> State:
        """The state of ``client_id`` on ``device`` (initialized on first use)."""
        out = {k: v.to(device) for k, v in self._stored(client_id).items()}
        for key, table in self._tables.items():
            row = table.read(client_id)
            if row is not None:
                out[key] = row.to(device)
        return out

    def put(self, client_id: int, state: State) -> None:
        """Set the whole state of ``client_id``."""
        rest: State = {}
        for key, value in state.items():
            table = self._tables.get(key)
            if table is not None and not table.fits(value):
                self._untable(key)
                table = None
            if table is None:
                rest[key] = self._own(value)
            else:
                table.write(client_id, value)
        for key, table in self._tables.items():
            if key not in state:
                table.drop(client_id)
        self._states[client_id] = rest

    def update(self, client_id: int, changes: State) -> None:
        """Replace the entries of ``changes`` in the state of ``client_id``."""
        if not changes:
            return
        if not self._tables:  # only per-client entries: merge them in place
            stored = self._stored(client_id)
            self._states[client_id] = {**stored, **{k: self._own(v) for k, v in changes.items()}}
            return
        self.put(client_id, {**self.get(client_id, _device_of(changes)), **changes})

    def _stored_many(self, client_ids: list[int]) -> list[State]:
        """:meth:`_stored` of every client (initializing the new ones)."""
        states = self._states
        if not states.keys() >= set(client_ids):
            new = [i for i in client_ids if i not in states]
            self._put_new(new, [self._init(i) for i in new])
        return [states[i] for i in client_ids]

    def _put_new(self, client_ids: list[int], states: list[State]) -> None:
        """Store first states; a key with a table gets them as one stacked write."""
        tabled = [k for k in self._tables if all(k in s for s in states)
                  and all(self._tables[k].fits(s[k]) for s in states)]
        for i, state in zip(client_ids, states):
            self.put(i, {k: v for k, v in state.items() if k not in tabled})
        for key in tabled:
            self._tables[key].write_many(client_ids, torch.stack([s[key] for s in states]))

    def get_many(self, client_ids: list[int], device: torch.device) -> Stacked:
        """The states of ``client_ids``, key by key (see :data:`Stacked`)."""
        rest = self._stored_many(client_ids)
        keys = {k: None for s in rest for k in s}
        out: Stacked = {k: _stack([s.get(k) for s in rest], device) for k in keys}
        for key, table in self._tables.items():
            if table.has_all(client_ids):
                out[key] = table.read_many(client_ids).to(device)
            elif any(i in table.slots for i in client_ids):
                out[key] = [None if (r := table.read(i)) is None else r.to(device)
                            for i in client_ids]
        return out

    def put_many(self, client_ids: list[int], changes: Stacked) -> None:
        """Replace, for every client of ``client_ids``, the entries of ``changes``.

        A stacked key goes to its table (made on first use, taking over the key's per-client
        entries); a key given per client is stored per client.
        """
        self._stored_many(client_ids)
        for key, value in changes.items():
            if isinstance(value, torch.Tensor) and self._table(key, value[0]) is not None:
                self._tables[key].write_many(client_ids, value)
                continue
            self._untable(key)
            for i, v in zip(client_ids, value):
                if v is not None:
                    self._states[i][key] = self._own(v.clone())

    def _table(self, key: str, like: torch.Tensor) -> StateTable | None:
        """The table of ``key`` (made from the key's entries), or None if they do not fit one."""
        table = self._tables.get(key)
        if table is not None:
            return table if table.fits(like) else None
        table = StateTable(self._own(like))
        holders = [(i, s) for i, s in self._states.items() if key in s]
        if not all(table.fits(s[key]) for _, s in holders):
            return None
        for i, s in holders:
            table.write(i, s.pop(key))
        self._tables[key] = table
        return table

    def _untable(self, key: str) -> None:
        """Move the rows of ``key``'s table back to per-client entries."""
        table = self._tables.pop(key, None)
        if table is not None:
            for i, slot in table.slots.items():
                self._states[i][key] = table.data[slot].clone()

    def __len__(self) -> int:
        return len(self._states)

    def items(self) -> Iterator[tuple[int, State]]:
        """(client id, state) of every client that has one (table rows as views)."""
        for i in self._states:
            yield i, self.get(i, _home(self._states[i], self._tables))


def _device_of(state: State) -> torch.device:
    return next(iter(state.values())).device


def _home(state: State, tables: dict[str, StateTable]) -> torch.device:
    """Where a client's tensors are (the first one found; CPU for an empty state)."""
    for v in state.values():
        return v.device
    for table in tables.values():
        return table.data.device
    return torch.device("cpu")


def _stack(values: list[torch.Tensor | None], device: torch.device
           ) -> torch.Tensor | list[torch.Tensor | None]:
    """One stack when every client has the key with the same shape, else the list."""
    first = values[0]
    if first is not None and all(v is not None and v.shape == first.shape
                                 and v.dtype == first.dtype for v in values):
        return torch.stack(values).to(device)
    return [None if v is None else v.to(device) for v in values]
