"""Samples read client by client when needed, with a bounded cache (TFF's HDF5 data sets).

Full FEMNIST holds 3,400 writers and 2.1 GB of pixels in float32; a round touches a few of them.
:class:`ClientSource` decodes one client's samples on demand and keeps the most recently used
ones while they take less than :data:`CACHE_BYTES`; :class:`LazyRows` stands for the dataset's
input (or target) tensor wherever the simulator uses one: ``shape``, ``len``, indexing rows by a
number, a slice or a list (rows may span clients) and ``to(device, dtype)``. A client's own
slice returns its decoded tensor without a copy. Reads are thread-safe (thread pools share one
source); h5py itself serializes file access.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

#: the most bytes of decoded samples kept in memory per source (least recently used dropped)
CACHE_BYTES = 512 << 20


class ClientSource:
    """``read(k) -> (inputs, targets)`` of client k, cached up to ``budget`` bytes."""

    def __init__(self, read: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
                 budget: int | None = None):
        self._read, self.budget = read, CACHE_BYTES if budget is None else budget
        self._cache: OrderedDict[int, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        with self._lock:
            hit = self._cache.get(k)
            if hit is not None:
                self._cache.move_to_end(k)
                return hit
        data = self._read(k)
        size = sum(t.numel() * t.element_size() for t in data)
        with self._lock:
            self._cache[k] = data
            self._bytes += size
            while self._bytes > self.budget and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._bytes -= sum(t.numel() * t.element_size() for t in old)
        return data

    @property
    def cached_bytes(self) -> int:
        return self._bytes


class LazyRows:
    """Field ``field`` (0: inputs, 1: targets) of the clients of ``source``, as rows."""

    def __init__(self, source: ClientSource, field: int, sizes: list[int],
                 sample_shape: tuple[int, ...], dtype: torch.dtype,
                 device: torch.device | None = None, cast: torch.dtype | None = None):
        self.source, self.field, self.sizes = source, field, sizes
        self.sample_shape, self._dtype = tuple(sample_shape), cast or dtype
        self._native = dtype
        self._device = torch.device(device or "cpu")
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((int(self.starts[-1]), *self.sample_shape))

    @property
    def dtype(self) -> torch.dtype:
        return self._dtype

    @property
    def device(self) -> torch.device:
        return self._device

    def __len__(self) -> int:
        return int(self.starts[-1])

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
           ) -> LazyRows:
        """The same rows, converted to ``device`` and ``dtype`` when read."""
        device = torch.device(device) if device is not None else self._device
        dtype = dtype or self._dtype
        if device == self._device and dtype == self._dtype:
            return self
        return LazyRows(self.source, self.field, self.sizes, self.sample_shape, self._native,
                        device, dtype)

    def client(self, k: int) -> torch.Tensor:
        """All rows of client k."""
        return self.source.get(k)[self.field].to(device=self._device, dtype=self._dtype)

    def tensors(self) -> Iterator[torch.Tensor]:
        """Every client's rows in turn (through the cache: bounded memory)."""
        return (self.client(k) for k in range(len(self.sizes)))

    def __getitem__(self, index: Any) -> torch.Tensor:
        if isinstance(index, tuple):
            rows = self[index[0]]
            return rows[index[1:]] if isinstance(index[0], int) else rows[(slice(None),
                                                                           *index[1:])]
        if isinstance(index, int):
            return self[[index]][0]
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            k = int(np.searchsorted(self.starts, start, side="right")) - 1
            if step == 1 and 0 <= k < len(self.sizes) and start == self.starts[k] \
                    and stop == self.starts[k + 1]:
                return self.client(k)  # one whole client: no copy
            index = np.arange(start, stop, step)
        return self._rows(np.asarray(index.cpu() if isinstance(index, torch.Tensor) else index,
                                     dtype=np.int64).reshape(-1))

    def _rows(self, rows: np.ndarray) -> torch.Tensor:
        """Rows by global number, gathered client by client."""
        out = torch.empty((len(rows), *self.sample_shape), dtype=self._dtype,
                          device=self._device)
        owners = np.searchsorted(self.starts, rows, side="right") - 1
        for k in np.unique(owners):
            where = np.nonzero(owners == k)[0]
            local = torch.from_numpy(rows[where] - self.starts[k])
            out[torch.from_numpy(where).to(self._device)] = self.client(int(k))[
                local.to(self._device)]
        return out
