"""Compression operators, built from spec strings such as ``randk:40%`` (see ``spec.py``).

The catalogue (omega/alpha, bit formulas, papers) is in ``docs/compressors.md``.
"""

# Registration, in the order of the CLI choices and GUI combo boxes (the original tool's order).
from . import identity  # noqa: I001, F401
from . import bernoulli  # noqa: F401
from . import randk  # noqa: F401
from . import natural  # noqa: F401
from . import dithering  # noqa: F401
from . import qsgd  # noqa: F401
from . import terngrad  # noqa: F401
from . import topk  # noqa: F401
from . import rankk  # noqa: F401
from .base import Compressed, Compressor, index_bits, value_bits
from .spec import COMPRESSORS, parse_compressor, register_compressor

__all__ = ["COMPRESSORS", "Compressed", "Compressor", "index_bits", "parse_compressor",
           "register_compressor", "value_bits"]
