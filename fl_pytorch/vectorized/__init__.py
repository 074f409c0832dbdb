"""The vectorized executor: a round's clients as batched tensor operations (docs/parallel.md).

It sits above ``core`` (it runs the contract's hooks on batches) and below ``engine``, which
builds it through :func:`choose_executor`.
"""

from .choice import check_vectorized, choose_executor
from .executor import VectorizedExecutor
from .obstacles import vectorization_obstacle

__all__ = ["VectorizedExecutor", "check_vectorized", "choose_executor", "vectorization_obstacle"]
