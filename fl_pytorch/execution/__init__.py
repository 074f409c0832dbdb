"""Executors: how the clients of a round are run (the engine's executor seam)."""

from .sequential import SequentialExecutor

__all__ = ["SequentialExecutor"]
