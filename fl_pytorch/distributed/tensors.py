"""Tensors on the wire: a list of tensors as one byte buffer plus a JSON description.

The description (``specs``) is ``[[dtype name, shape], ...]``; both sides derive every offset
from it (each tensor starts at a multiple of 8 bytes), so the receiver allocates exactly the
announced size, checks it, and reads nothing but raw numbers of whitelisted dtypes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from .frames import ProtocolError

DTYPES = {name: getattr(torch, name) for name in (
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128", "uint8", "int8",
    "int16", "int32", "int64", "bool")}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
_SIZES = {name: torch.empty((), dtype=dtype).element_size() for name, dtype in DTYPES.items()}
ALIGN = 8
MAX_TENSORS = 1 << 20
MAX_BYTES = 1 << 40


def spec_of(t: torch.Tensor) -> list[Any]:
    """``[dtype name, shape]`` of ``t``."""
    if t.dtype not in _NAMES:
        raise TypeError(f"tensors of dtype {t.dtype} cannot be sent to remote workers")
    return [_NAMES[t.dtype], list(t.shape)]


def _layout(specs: Any) -> tuple[list[tuple[torch.dtype, list[int], int, int]], int]:
    """(dtype, shape, offset, bytes) of each spec and the buffer size; raises on bad specs."""
    if not isinstance(specs, list) or len(specs) > MAX_TENSORS:
        raise ProtocolError("tensor specs must be a list of at most 2**20 entries")
    out, offset = [], 0
    for spec in specs:
        ok = isinstance(spec, list) and len(spec) == 2 and spec[0] in DTYPES and \
            isinstance(spec[1], list) and len(spec[1]) <= 16 and \
            all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in spec[1])
        if not ok:
            raise ProtocolError(f"malformed tensor spec {str(spec)[:80]}")
        nbytes = math.prod(spec[1]) * _SIZES[spec[0]]
        offset = -(-offset // ALIGN) * ALIGN
        out.append((DTYPES[spec[0]], spec[1], offset, nbytes))
        offset += nbytes
        if offset > MAX_BYTES:
            raise ProtocolError("tensor specs describe more than 2**40 bytes")
    return out, offset


def payload_size(specs: Any) -> int:
    """Bytes of the buffer that ``specs`` describe (validating them)."""
    return _layout(specs)[1]


class Scratch:
    """A send buffer reused from round to round.

    Fresh memory costs a page fault per 4 KiB on every round (for a ResNet-18 that is most of
    the cost of packing). A buffer may be reused once the transfer that read it has completed.
    """

    def __init__(self) -> None:
        self._buffer = torch.empty(0, dtype=torch.uint8)

    def get(self, nbytes: int) -> torch.Tensor:
        """A CPU uint8 buffer of ``nbytes`` bytes (contents undefined)."""
        if self._buffer.numel() < nbytes:
            self._buffer = torch.empty(nbytes, dtype=torch.uint8)
        return self._buffer[:nbytes]


def pack(tensors: Sequence[torch.Tensor], scratch: Scratch | None = None
         ) -> tuple[list[list[Any]], torch.Tensor]:
    """(specs, one contiguous CPU uint8 buffer holding every tensor's bytes).

    The buffer is ``scratch``'s when given (padding bytes are zeroed either way).
    """
    specs = [spec_of(t) for t in tensors]
    layout, size = _layout(specs)
    buffer = scratch.get(size) if scratch is not None else torch.empty(size, dtype=torch.uint8)
    end = 0
    for t, (_, _, offset, nbytes) in zip(tensors, layout):
        buffer[end:offset] = 0
        if nbytes:
            flat = t.detach().reshape(-1).contiguous().cpu()
            buffer[offset:offset + nbytes] = flat.view(torch.uint8)
        end = offset + nbytes
    return specs, buffer


def unpack(specs: Any, buffer: torch.Tensor) -> list[torch.Tensor]:
    """The tensors that ``specs`` describe, read from ``buffer`` (views of it, not copies)."""
    layout, size = _layout(specs)
    if buffer.dtype != torch.uint8 or buffer.numel() != size:
        raise ProtocolError(f"tensor buffer of {buffer.numel()} bytes, specs say {size}")
    out = []
    for dtype, shape, offset, nbytes in layout:
        if nbytes:
            out.append(buffer[offset:offset + nbytes].view(dtype).reshape(shape))
        else:
            out.append(torch.empty(shape, dtype=dtype))
    return out
