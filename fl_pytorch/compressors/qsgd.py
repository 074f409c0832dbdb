"""QSGD ``qsgd:s``: standard random dithering with s uniform levels and the 2-norm.

Alistarh et al. 2017, "QSGD: communication-efficient SGD via gradient quantization and encoding",
arXiv:1610.02132. The same operator as ``std.dithering:s:2`` (the code is shared).

omega = min(d / s^2, sqrt(d) / s), the paper's Lemma 3.1, reported as is so theoretical step
sizes match the paper (``std.dithering:s:2`` reports the 4x tighter min(d/(4 s^2), sqrt(d)/s)
in its first branch). Bits = b + d * (1 + ceil(log2(s + 1))) as for dithering (a fixed-length
code; the paper's Elias coding is not modelled).
"""

from __future__ import annotations

import math

from .dithering import StandardDithering, parse_levels
from .spec import register_compressor


class QSGD(StandardDithering):
    """Standard dithering with the 2-norm and the paper's variance bound."""

    def __init__(self, s: int):
        super().__init__(s, 2.0)

    def omega(self, d: int) -> float:
        return min(d / self.s**2, math.sqrt(d) / self.s)


@register_compressor("qsgd", "qsgd:s with s >= 1 levels")
def _build(args: list[str]) -> QSGD:
    if len(args) != 1:
        raise ValueError("qsgd takes one argument, the number of levels s")
    return QSGD(parse_levels(args[0]))
