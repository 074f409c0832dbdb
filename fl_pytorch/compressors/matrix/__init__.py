"""Matrix compressors for Hessian learning (FedNL family), with their own registry.

Selected with ``--algorithm-options compressor:SPEC``; the catalogue (omega or delta, bit
formulas, papers) is in ``docs/fednl.md``.
"""

# Registration, in the order of the help text.
from . import elementwise  # noqa: I001, F401
from . import topk  # noqa: F401
from . import randk  # noqa: F401
from . import rankr  # noqa: F401
from .base import (
    MATRIX_COMPRESSORS,
    Count,
    MatrixCompressor,
    index_bits,
    register_matrix_compressor,
)
from .packed import Packed, pack, unpack, upper_size
from .spec import matrix_choices, parse_matrix_compressor

__all__ = ["MATRIX_COMPRESSORS", "Count", "MatrixCompressor", "Packed", "index_bits",
           "matrix_choices", "pack", "parse_matrix_compressor", "register_matrix_compressor",
           "unpack", "upper_size"]
