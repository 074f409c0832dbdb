"""The public API shared by the command line and the GUI.

``run(config)`` builds the simulation, runs it, writes the result file atomically (also when the
run is stopped, interrupted or fails) and returns the result dict. ``start(config)`` returns a
handle whose ``stop()`` may be called from another thread (the GUI's Stop button). Remote
workers' entries, secret and status probe are re-exported here for the GUI.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Config
from .core.callbacks import Callback, CallbackList, RunInfo
from .engine.engine import Engine
from .engine.evaluate_only import evaluate_checkpoint
from .engine.run_files import checkpoint_path, default_out_path
from .engine.simulation import build_simulation
from .errors import ConfigError, is_out_of_memory, one_line
from .plugins import load_plugins
from .tracking.logging_setup import LOGGER
from .tracking.monitor import ResourceLogCallback
from .tracking.system_options import SystemOptions, compat_notes
from .tracking.tensorboard_tracking import tensorboard_logger
from .tracking.wandb_tracking import wandb_logger
from .utils.addresses import WorkerAddress, parse_worker_entry  # noqa: F401 (for the GUI)
from .validation import preflight


def __getattr__(name: str) -> Any:
    """The remote machinery re-exported for the GUI, imported when first used.

    (``load_secret``, ``probe_worker``, ``WorkerStatus``; a local run does without sockets,
    handshakes and torch.distributed.)
    """
    if name == "load_secret":
        from .distributed.auth import load_secret
        return load_secret
    if name in ("probe_worker", "WorkerStatus"):
        from .distributed import probe
        return getattr(probe, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ResultWriter(Callback):
    """Writes the result file at the end of the run, whatever its status."""

    def __init__(self, path: Path):
        self.path = path

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        from .results import save_result, to_plain
        save_result(to_plain(result), self.path)


_BUILD_LOCK = threading.Lock()
"""One simulation is built at a time in a process: the model is initialized from torch's global
random generator (seeded with ``--manual-init-seed``), which runs in other threads (GUI runs,
sweeps in threads) would otherwise draw from at the same time."""


def _build(config: Config) -> Any:
    """``build_simulation``; running out of memory is an input error (the data or model size)."""
    try:
        with _BUILD_LOCK:
            return build_simulation(config)
    except (MemoryError, RuntimeError) as e:
        if not is_out_of_memory(e):
            raise
        raise ConfigError(f"--dataset: {config.dataset!r} with --model {config.model!r}: not "
                          f"enough memory to build the simulation ({one_line(e)[:200]})") from None


class RunHandle:
    """A configured run: ``run()`` executes it in the calling thread; ``stop()`` from any.

    With ``--evaluate`` the run evaluates the model of ``--resume-from`` and trains nothing.
    """

    def __init__(self, config: Config, callbacks: Sequence[Callback] = (),
                 out: str | Path | None = None, executor: Any = None,
                 stop_event: threading.Event | None = None):
        self.config = config
        self.out_path = Path(out) if out else default_out_path(config)
        load_plugins(config.plugins)
        checkpoint = checkpoint_path(config, self.out_path)
        preflight.before_build(config, self.out_path, checkpoint)
        sim = _build(config)
        devices = sim.devices
        tracker, tracker_note = wandb_logger(config)
        for note in [*compat_notes(config, devices), *filter(None, [tracker_note])]:
            LOGGER.warning(note)
        extra = [ResourceLogCallback(config.eval_every)] if config.log_gpu_usage else []
        trackers = filter(None, [tracker, tensorboard_logger(config, self.out_path)])
        # on_run_end runs in reverse order: SystemOptions completes the result before it is written
        self.callbacks = CallbackList([*callbacks, *extra, *trackers,
                                       ResultWriter(self.out_path), SystemOptions(config, devices)])
        self.sim = sim
        if executor is None and config.external_devices:  # the clients run on remote workers
            from .distributed.remote_executor import RemoteExecutor
            executor = RemoteExecutor(config)
        self.engine = None if config.evaluate else Engine(
            sim, self.callbacks, executor, stop_event, checkpoint)
        preflight.after_build(sim, self.engine.resume if self.engine else None)
        self.result: dict[str, Any] | None = None

    def run(self) -> dict[str, Any]:
        if self.engine is None:
            self.result = evaluate_checkpoint(self.sim, self.callbacks)
        else:
            self.result = self.engine.run()
        return self.result

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()


def prepare(config: Config, callbacks: Sequence[Callback] = (),
            out: str | Path | None = None, stop_event: threading.Event | None = None
            ) -> RunHandle:
    """Validate and build a run (raises ConfigError on bad input) without starting it."""
    return RunHandle(config, callbacks, out, stop_event=stop_event)


def run(config: Config, callbacks: Sequence[Callback] = (),
        out: str | Path | None = None, stop_event: threading.Event | None = None
        ) -> dict[str, Any]:
    """Run ``config`` to the end (or until ``stop_event`` is set) and return the result dict."""
    return prepare(config, callbacks, out, stop_event).run()
