"""One client-state key of many clients as the rows of one tensor.

The vectorized executor reads and writes the states of a round's clients as ``[clients, ...]``
stacks; a table makes that one ``index_select`` and one ``index_copy_`` instead of a Python loop
over clients. Each client gets a row (a slot) the first time it is written; rows grow by
doubling, so memory follows the clients that have a state, as per-client tensors would.
"""

from __future__ import annotations

import torch

from ..utils.lists import int64_tensor


class StateTable:
    """Rows of equal shape and dtype, one per client that has the key."""

    def __init__(self, like: torch.Tensor):
        self.data = like.new_empty((16, *like.shape))
        self.slots: dict[int, int] = {}

    def fits(self, value: torch.Tensor) -> bool:
        """Whether ``value`` has the rows' shape and dtype."""
        return value.shape == self.data.shape[1:] and value.dtype == self.data.dtype

    def _slots(self, client_ids: list[int]) -> list[int]:
        """The rows of ``client_ids``, allocating (and growing the tensor) for new clients."""
        slots = self.slots
        if not slots.keys() >= set(client_ids):
            for i in client_ids:
                if i not in slots:
                    slots[i] = len(slots)
        if len(slots) > self.data.shape[0]:
            grown = self.data.new_empty((max(len(slots), 2 * self.data.shape[0]),
                                         *self.data.shape[1:]))
            grown[:self.data.shape[0]] = self.data
            self.data = grown
        return [slots[i] for i in client_ids]

    def write(self, client_id: int, value: torch.Tensor) -> None:
        """Copy ``value`` into the client's row."""
        slot = self._slots([client_id])[0]  # first: it may grow (replace) the tensor
        self.data[slot].copy_(value)

    def write_many(self, client_ids: list[int], rows: torch.Tensor) -> None:
        """Copy row ``j`` of ``rows`` into the row of ``client_ids[j]``."""
        index = int64_tensor(self._slots(client_ids), self.data.device)
        self.data.index_copy_(0, index, rows.to(self.data))

    def read(self, client_id: int) -> torch.Tensor | None:
        """The client's row (a view), or None when it has none."""
        slot = self.slots.get(client_id)
        return None if slot is None else self.data[slot]

    def read_many(self, client_ids: list[int]) -> torch.Tensor:
        """The rows of ``client_ids`` (every one must have a row), as a new stack."""
        index = int64_tensor([self.slots[i] for i in client_ids], self.data.device)
        return self.data.index_select(0, index)

    def has_all(self, client_ids: list[int]) -> bool:
        return self.slots.keys() >= set(client_ids)

    def drop(self, client_id: int) -> None:
        """Forget the client's row (its slot stays allocated)."""
        self.slots.pop(client_id, None)
