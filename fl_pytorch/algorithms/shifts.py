"""Learned shifts h_i shared by DIANA, COFIG and FRECON, one local step at a time.

At every local step the client sends ``m = C(grad f_i(y) - h_i)`` and moves its shift,
``h_i <- h_i + alpha m``, so K local steps update h_i K times (the original FL_PyTorch's
local-step semantics); the server learns the same change through the sum of the directions.
``alpha`` defaults to ``1 / (omega + 1)`` of the uplink compressor (filled in at setup).
"""

from __future__ import annotations

from typing import Any

from ..core.algorithm import (
    LocalGradient,
    LocalState,
    State,
    Tensor,
    Work,
    batchable,
    direction_sum,
)
from ..core.context import ClientContext
from ..core.theory import Setting


def resolve_alpha(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Fill in the default shift rate ``alpha = 1 / (omega + 1)``."""
    alpha = options["alpha"]
    return {**options, "alpha": 1.0 / (1.0 + setting.omega) if alpha is None else alpha}


def compressed_shifted_difference(ctx: ClientContext, g: Tensor, key: str, work: Work
                                  ) -> tuple[Tensor, Work]:
    """``m = C(g - h_i)`` and the work state with the moved shift ``h_i + alpha m``."""
    h_i = work[key]
    m = ctx.compress(g - h_i)
    return m, {**work, key: h_i + ctx.options["alpha"] * m}


def kept(work: Work, *keys: str) -> State:
    """The stored-state updates: ``work``'s entries under ``keys``."""
    return {k: work[k] for k in keys}


def shifted_difference_hooks(key: str) -> tuple[LocalGradient, LocalState]:
    """DIANA's client hooks (as COFIG's), with the shift stored under ``key``.

    LOCAL_GRADIENT ``C(grad f_i(y) - h_i)``, moving h_i; LOCAL_STATE: send the sum of the
    round's directions D_i and store the moved shift.
    """
    @batchable
    def shifted_difference(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
        """LOCAL_GRADIENT: ``C(grad f_i(y) - h_i)``, moving h_i."""
        return compressed_shifted_difference(ctx, ctx.grad(y), key, work)

    @batchable
    def send_sum_keep_shift(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                            ) -> tuple[State, State]:
        """LOCAL_STATE: send D_i; store the moved shift."""
        return {"d": direction_sum(ctx, x, y, work)}, kept(work, key)

    return shifted_difference, send_sum_keep_shift
