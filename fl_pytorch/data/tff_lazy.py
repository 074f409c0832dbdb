"""TFF's natural clients read lazily: the file's metadata at load, a client's samples when used.

At load every client of the file is checked as decoding would check it (fields, shapes, number
types, labels in range: labels are read, the large fields are not) and counted; the samples of a
client are decoded the first time a round, an evaluation or a check needs them, through a
bounded cache (``data/lazy.py``). The file stays open for the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import ConfigError
from .lazy import ClientSource, LazyRows


class H5Clients:
    """The ``examples/<client id>`` groups of one TFF HDF5 file (kept open)."""

    def __init__(self, path: Path, limit: int = 0):
        import h5py

        from ..utils.files import regular_file_size
        regular_file_size("--data-path", path)
        try:
            self.file = h5py.File(path, "r")
        except OSError as e:
            raise ConfigError(f"--data-path: {path} is not a readable HDF5 file ({e})") from None
        examples = self.file.get("examples")
        if not isinstance(examples, h5py.Group):
            from .tff import _bad_file
            raise _bad_file(self.file, "has no group 'examples'")
        self.examples = examples
        ids = sorted(examples.keys())
        self.ids = ids[:limit] if limit else ids

    def group(self, client_id: str) -> Any:
        return self.examples[client_id]


def lazy_clients(path: Path, layout: Any, limit: int = 0, keep_empty: bool = True
                 ) -> tuple[list[str], LazyRows, LazyRows]:
    """(client ids, their inputs, their targets) of a TFF file, decoded when read.

    ``limit`` > 0 keeps the first clients in id order; clients without samples are dropped
    unless ``keep_empty`` (a test split pools them all).
    """
    clients = H5Clients(path, limit)
    sizes = [layout.count(clients.group(c)) for c in clients.ids]
    kept = [(c, n) for c, n in zip(clients.ids, sizes) if n or keep_empty]
    ids = [c for c, _ in kept]

    def read(k: int) -> tuple[torch.Tensor, torch.Tensor]:
        return layout.decode(clients.group(ids[k]))
    source = ClientSource(read)
    counts = [n for _, n in kept]
    x_dtype, y_dtype = layout.dtypes
    target_shape = layout.sample_shape[-1:] if layout.task == "next_token" else ()
    return (ids, LazyRows(source, 0, counts, layout.sample_shape, x_dtype),
            LazyRows(source, 1, counts, target_shape, y_dtype))
