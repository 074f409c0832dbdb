"""The vectorized executor: a round's clients as batched tensor operations (docs/parallel.md).

It sits above ``core`` (it runs the contract's hooks on batches) and below ``engine``, whose
executor factory (``engine/executors.py``) builds it when :func:`prefers_vectorized` or the
option asks for it.
"""

from .choice import check_vectorized, prefers_vectorized
from .executor import VectorizedExecutor
from .obstacles import vectorization_obstacle

__all__ = ["VectorizedExecutor", "check_vectorized", "prefers_vectorized",
           "vectorization_obstacle"]
