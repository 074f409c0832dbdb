"""Checkpoint and resume: the complete state of a run between two rounds, as plain data.

Saved: ``x``, the server state H, every client's persistent state (the client-state store), the
server optimizer's state, the metrics rows so far, the counters (oracle calls, bits), the number
of completed rounds and the config. Not saved: random generators. Every stream is derived when
needed from (runtime seed, round, client) (``utils/rng.py``) and the model from the init seed,
so a resumed run draws exactly the numbers the uninterrupted run draws.

A checkpoint is written with ``torch.save`` (tensors, dicts, lists, numbers, strings only) and
atomically (temp file + rename), and read with ``torch.load(weights_only=True)``, which rebuilds
nothing but tensors and plain containers: a crafted file cannot run code.
"""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import OPTIONS, Config, check_value, primary_flag
from ..core.client_state import ClientStateStore
from ..core.optim import PlainSGD
from ..errors import ConfigError, one_line
from ..execution.thread_pool import ThreadPool
from ..execution.worker import map_tensors
from ..utils.atomic import atomic_write_bytes
from .checkpoint_check import check_structure
from .run_files import DEFAULT_CHECKPOINT_DIR, checkpoint_path  # noqa: F401 (re-exported)

FORMAT, VERSION = "fl_pytorch-checkpoint", 1
DEFAULT_DIR = DEFAULT_CHECKPOINT_DIR
#: options that may differ between a checkpoint and the run resuming it: how the run executes
#: and reports, not what it computes (devices and CPU thread counts may change the last bits)
RESUMABLE_CHANGES = frozenset({
    "rounds", "eval_every", "threadpool_for_local_opt", "intra_op_threads", "gpu",
    "eval_async_threads", "save_async_threads", "checkpoint_dir", "checkpoint_every",
    "resume_from", "out", "run_id", "loglevel", "logfile", "quiet", "comment", "group_name",
    "log_gpu_usage", "deterministic", "external_devices", "master_addr", "master_port",
    "remote_secret_file", "remote_timeout", "remote_messages", "metric", "logfilter",
    "hostname", "wandb_key", "wandb_project_name", "num_workers_train", "num_workers_test",
    "do_not_save_eval_checkpoints", "store_client_state_in_cpu", "per_round_clean_torch_cache",
    "allow_use_nv_tensorcores", "load_best", "evaluate"})


OPTIMIZERS = (torch.optim.Optimizer, PlainSGD)  # what has state_dict/load_state_dict


def _plain(obj: Any) -> Any:
    """Plain CPU data, loadable with ``weights_only`` and detached from the running state.

    Tensors become CPU copies, NumPy arrays tensors, containers are rebuilt.
    """
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, OPTIMIZERS):
        return _plain(obj.state_dict())
    if isinstance(obj, ClientStateStore):
        return {int(i): _plain(s) for i, s in obj.items()}
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def capture(rounds_done: int, config: Config, **parts: Any) -> dict[str, Any]:
    """A snapshot of the run after ``rounds_done`` rounds.

    Every named part (tensors, NumPy arrays, optimizers, the client-state store, dicts and lists
    of them) becomes plain CPU data, safe to write from another thread while the run goes on.
    """
    return {"format": FORMAT, "version": VERSION, "config": config.to_dict(),
            "round": rounds_done, "parts": {name: _plain(v) for name, v in parts.items()}}


def _restore(live: Any, saved: Any, device: torch.device) -> Any:
    """``saved`` put back into ``live`` in place where ``live`` is mutable; returns the value."""
    if isinstance(live, torch.Tensor) and live.shape == saved.shape:
        with torch.no_grad():
            return live.copy_(saved)
    if isinstance(live, np.ndarray) and live.shape == tuple(saved.shape):
        live[...] = saved.numpy()
        return live
    if isinstance(live, OPTIMIZERS):
        live.load_state_dict(saved)
        return live
    if isinstance(live, ClientStateStore):
        for client_id, state in saved.items():
            live.put(client_id, _restore(None, state, device))
        return live
    if isinstance(live, dict):
        old = dict(live)
        live.clear()
        live.update({k: _restore(old.get(k), v, device) for k, v in saved.items()})
        return live
    if isinstance(live, list):
        live[:] = [_restore(None, v, device) for v in saved]
        return live
    return map_tensors(saved, lambda t: t.to(device))


def restore(data: dict[str, Any], device: torch.device, **live: Any) -> dict[str, Any]:
    """Put a checkpoint's parts back into a freshly set-up run.

    Each part named in ``live`` is restored in place (tensors, arrays, optimizers, the store,
    dicts, lists). Returns every part as restored (e.g. the server state, which the engine
    rebinds).
    """
    saved = data["parts"]
    missing = sorted(set(live) - set(saved))
    if missing:
        raise ConfigError(f"--resume-from: the checkpoint lacks {', '.join(missing)} (written "
                          "by another version of the engine)")
    return {name: _restore(live.get(name), value, device) for name, value in saved.items()}


def serialize(data: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint file."""
    buffer = io.BytesIO()
    torch.save(data, buffer)
    return buffer.getvalue()


def write_checkpoint(data: dict[str, Any], path: str | Path) -> Path:
    """Serialize ``data`` and write it atomically."""
    return atomic_write_bytes(path, serialize(data))


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint safely (``weights_only``); anything else is a ConfigError."""
    from ..utils.files import regular_file_size
    if regular_file_size("--resume-from", path) == 0:  # not a folder, FIFO or device
        raise ConfigError(f"--resume-from: {str(path)!r} is empty, not a checkpoint")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as e:
        raise ConfigError(f"--resume-from: cannot read {str(path)!r}: {e}") from None
    except Exception as e:  # UnpicklingError for forbidden content, RuntimeError for junk
        raise ConfigError(f"--resume-from: {str(path)!r} is not a checkpoint that can be loaded "
                          f"safely ({type(e).__name__}: {_first_sentence(e)})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"--resume-from: {str(path)!r} is not an fl_pytorch checkpoint")
    if data.get("version") != VERSION:
        raise ConfigError(f"--resume-from: {str(path)!r} has checkpoint version "
                          f"{data.get('version')!r}; this version reads {VERSION}")
    check_structure(data, path)
    return data


def _first_sentence(e: Exception) -> str:
    """The first sentence of torch's (long, sometimes colored) error text."""
    text = "".join(c for c in one_line(re.sub(r"\x1b\[[0-9;]*m", "", str(e))) if c.isprintable())
    return text.split(". ")[0][:160]


def checkpoint_config(path: str | Path) -> Config:
    """The options a checkpoint was written with (options this version lacks are dropped)."""
    saved = read_checkpoint(path)["config"]
    try:
        config = Config.from_dict({k: v for k, v in saved.items() if k in OPTIONS})
        errors = [msg for name in OPTIONS if (msg := check_value(name, getattr(config, name)))]
        if errors:
            raise ConfigError(errors[0])
    except ConfigError as e:
        raise ConfigError(f"--resume-from: {str(path)!r} holds invalid options ({e})") from None
    return config


def load_checkpoint(path: str | Path, config: Config) -> dict[str, Any]:
    """Read a checkpoint and check that ``config`` continues the same experiment."""
    data = read_checkpoint(path)
    saved = data["config"]
    for name, value in config.to_dict().items():
        if name in RESUMABLE_CHANGES or name not in saved or saved[name] == value:
            continue
        flag = primary_flag(OPTIONS[name])
        may = ", ".join(sorted(primary_flag(OPTIONS[n]) for n in RESUMABLE_CHANGES))
        raise ConfigError(f"{flag}: invalid value {value!r}; the checkpoint {str(path)!r} was "
                          f"written with {saved[name]!r} (only these options may differ when "
                          f"resuming: {may})")
    if data["round"] > config.rounds:
        raise ConfigError(f"--rounds: invalid value {config.rounds}; the checkpoint "
                          f"{str(path)!r} has {data['round']} rounds done (valid: >= "
                          f"{data['round']})")
    return data


class Checkpointer:
    """Writes snapshots to ``path`` (None: checkpoints off), inline or in a save pool.

    With several save threads, writes may finish out of order; an older snapshot that finishes
    after a newer one is dropped, so the file always ends up holding the newest.
    """

    def __init__(self, path: Path | None, every: int, save_threads: int):
        self.path, self.every = path, every
        self._pool = ThreadPool(save_threads, "save") if path and save_threads else None
        self._writes: list[Future] = []
        self._lock = threading.Lock()
        self._newest = -1

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def due(self, rounds_done: int) -> bool:
        return self.enabled and self.every > 0 and rounds_done % self.every == 0

    def save(self, data: dict[str, Any]) -> None:
        """Write (or queue) ``data``; errors of earlier queued writes are raised here."""
        self._raise_failures()
        if self._pool is None:
            self._write(None, data)
        else:
            self._writes.append(self._pool.submit(self._write, data))

    def _write(self, _context: Any, data: dict[str, Any]) -> None:
        payload = serialize(data)
        with self._lock:
            if data["round"] > self._newest:
                atomic_write_bytes(self.path, payload)
                self._newest = data["round"]

    def _raise_failures(self) -> None:
        done = [f for f in self._writes if f.done()]
        self._writes = [f for f in self._writes if not f.done()]
        for future in done:
            future.result()

    def close(self) -> None:
        """Wait for queued writes; raise the first error."""
        if self._pool is not None:
            self._pool.wait_all()
            self._pool.stop()
        self._raise_failures()
