"""Where a sweep's runs execute: a worker process each (``ProcessSlot``) or a thread each.

Both run one configuration at a time and answer ``{"status", "error", "final"}``. A slot may be
bound to one device of ``--gpu`` (its runs then use only that device). ``interrupt()`` asks
the running configuration to end after its current round, keeping its rounds in its result file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, one_line
from ..results.tuning import final_values
from .plan import PlannedRun

PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def task_config(planned: PlannedRun, device: str | None) -> Any:
    """The configuration a slot runs: the planned one, on the slot's device if it has one."""
    config = planned.run.config
    return config if device is None else config.replace(gpu=device)


class ProcessSlot:
    """A worker process (``python -m fl_pytorch.sweep.worker``) in a session of its own.

    The worker does not get the terminal's Ctrl-C itself: the sweep forwards one signal per
    Ctrl-C, so a first Ctrl-C ends runs after their round and a second one at once, as for one
    run.
    """

    def __init__(self, device: str | None = None):
        self.device = device
        self.proc: subprocess.Popen | None = None
        self.busy = False

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT,
                                                          env.get("PYTHONPATH")]))
        return subprocess.Popen([sys.executable, "-m", "fl_pytorch.sweep.worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=env, start_new_session=True)

    def run(self, planned: PlannedRun) -> dict[str, Any]:
        """Run ``planned`` in the worker (started on first use, restarted if it died)."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        task = {"config": task_config(planned, self.device).to_dict(), "out": str(planned.path)}
        self.busy = True
        try:
            self.proc.stdin.write(json.dumps(task) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        finally:
            self.busy = False
        if line:
            return json.loads(line)
        code = self.proc.wait()
        self.proc = None
        return {"status": "failed", "final": {},
                "error": f"the worker process ended during the run (exit status {code})"}

    def interrupt(self) -> None:
        """Forward a stop signal (SIGINT) to the worker if it is running a configuration."""
        proc = self.proc
        if self.busy and proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)

    def close(self) -> None:
        """End the worker (end of input) and wait for it."""
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None

    def kill(self) -> None:
        """Kill the worker at once (a third Ctrl-C)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


PROCESS_WIDE = ("intra_op_threads", "deterministic", "allow_use_nv_tensorcores", "logfile",
                "logfilter")
"""Options that set switches of the whole process (torch's CPU threads, deterministic
algorithms, TF32, the log): runs in threads of one process must share them."""


@contextlib.contextmanager
def shared_process_switches(swept: Iterable[str], base: Any) -> Iterator[None]:
    """For runs in threads of this process: the process-wide switches they share.

    A process-wide option may not be swept. The log is the base's (``--logfile``); torch's
    CPU threads are held at
    ``--intra-op-threads`` meanwhile (each run sets them at its start and puts back what it
    found at its end, which must not be another thread's value), then restored.

    Raises:
        ConfigError: the grid sweeps an option of :data:`PROCESS_WIDE`.
    """
    from ..tracking.logging_setup import configure_logging
    from ..utils.devices import torch_threads
    bad = [k for k in swept if k in PROCESS_WIDE]
    if bad:
        raise ConfigError(f"--sweep-mode threads: the sweep varies {bad[0]}, a switch of the "
                          "whole process that runs in threads would share; use --sweep-mode "
                          "processes")
    configure_logging("WARNING", base.logfile, base.logfilter)  # sweep runs are --quiet
    with torch_threads(base.intra_op_threads):
        yield


class ThreadSlot:
    """Runs configurations in a thread of this process (``api.prepare(...).run()``)."""

    def __init__(self, device: str | None = None):
        self.device = device
        self.stop = threading.Event()

    def run(self, planned: PlannedRun) -> dict[str, Any]:
        from .. import api
        from ..tracking.logging_setup import LogCallback
        self.stop.clear()
        try:
            result = api.prepare(task_config(planned, self.device), [LogCallback()],
                                 out=planned.path, stop_event=self.stop).run()
        except ConfigError as e:
            return {"status": "failed", "error": one_line(e), "final": {}}
        except Exception as e:
            return {"status": "failed", "error": f"{type(e).__name__}: {one_line(e)}",
                    "final": {}}
        return {"status": result["status"], "error": result.get("error"),
                "final": final_values(result)}

    def interrupt(self) -> None:
        self.stop.set()

    def close(self) -> None:
        """Nothing to end: the thread is the sweep's."""

    def kill(self) -> None:
        """Threads cannot be killed; the daemon threads end with the process."""
