"""Matrix-compressor spec strings: ``name[:arg]``, e.g. ``topk:8d``, ``randk:5%``, ``natural``."""

from __future__ import annotations

from .base import MATRIX_COMPRESSORS, MATRIX_USAGE, MatrixCompressor


def matrix_choices() -> str:
    """The registered specs with their arguments, for error messages and help."""
    return ", ".join(MATRIX_USAGE[name] for name in MATRIX_COMPRESSORS.names())


def parse_matrix_compressor(spec: str) -> MatrixCompressor:
    """Build the matrix compressor ``spec`` names; ValueError saying what is needed otherwise."""
    from ..spec import COMPRESSORS
    text = str(spec).strip()
    name, *args = text.split(":")
    need = (f"Hessian learning needs a matrix compressor (symmetric d x d matrices, sent as "
            f"their upper triangle); valid: {matrix_choices()}; K is a count, P% of the "
            "d(d+1)/2 upper-triangle entries, or Nd (N times d)")
    if name not in MATRIX_COMPRESSORS:
        kind = "a vector compressor" if name in COMPRESSORS else "not a compressor"
        raise ValueError(f"{name!r} is {kind}; {need}")
    try:
        compressor = MATRIX_COMPRESSORS.get(name)(args)
    except (ValueError, IndexError) as e:
        raise ValueError(f"{e} (usage: {MATRIX_USAGE[name]})") from None
    compressor.spec = text
    return compressor
