"""The reference executor: clients one after another in the calling thread."""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

R = TypeVar("R")


class SequentialExecutor:
    """Runs ``task(client_id)`` for each client in order; results in client-id order."""

    name = "sequential"

    def map(self, task: Callable[[int], R], client_ids: Sequence[int]) -> list[R]:
        return [task(i) for i in client_ids]

    def close(self) -> None:
        """Nothing to release."""
