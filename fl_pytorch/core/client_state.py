"""Per-client persistent state (SCAFFOLD's c_i, DIANA's h_i, MARINA's last gradient, ...).

Owned by the engine, keyed by client id, created lazily from the algorithm's initializer.
Only the engine writes to it, after a round's clients have finished, in client-id order.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

State = dict[str, torch.Tensor]


class ClientStateStore:
    """In-memory store; ``offload_to`` keeps the tensors on another device (e.g. CPU)."""

    def __init__(self, init: Callable[[int], State], offload_to: torch.device | None = None):
        self._init = init
        self._states: dict[int, State] = {}
        self._offload = offload_to

    def get(self, client_id: int, device: torch.device) -> State:
        """The state of ``client_id`` on ``device`` (initialized on first use)."""
        state = self._states.get(client_id)
        if state is None:
            state = self._init(client_id)
            self.put(client_id, state)
        return {k: v.to(device) for k, v in state.items()}

    def put(self, client_id: int, state: State) -> None:
        if self._offload is not None:
            state = {k: v.to(self._offload) for k, v in state.items()}
        self._states[client_id] = state

    def __len__(self) -> int:
        return len(self._states)

    def items(self):
        return self._states.items()
