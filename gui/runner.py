"""Launches runs in the background and keeps the session's records up to date (GUI thread)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal

from fl_pytorch import Config
from fl_pytorch.api import default_out_path

from .state import RunRecord, Session
from .sweeps import GuiSweep
from .workers import RunWorker

LOG = logging.getLogger("fl_pytorch.gui")


class Runner(QObject):
    """Owns one :class:`RunWorker` per active run.

    Signals:
        run_added(RunRecord): a run was launched.
        run_updated(RunRecord): new metrics rows arrived.
        run_ended(RunRecord): the run ended (finished, stopped, interrupted or failed).
        sweep_changed(GuiSweep): a run of a sweep started or ended.
    """

    run_added = pyqtSignal(object)
    run_updated = pyqtSignal(object)
    run_ended = pyqtSignal(object)
    sweep_changed = pyqtSignal(object)

    def __init__(self, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.workers: dict[int, RunWorker] = {}
        self.sweeps: list[GuiSweep] = []

    def launch(self, config: Config, out: Path | None = None, name: str = "",
               sweep: str = "") -> RunRecord:
        """Start ``config`` in a background thread.

        Its result goes to ``out``, else where ``run.sh`` puts it.

        Raises:
            ValueError: an active run already writes that result file.
        """
        out = (out or default_out_path(config)).resolve()
        if out in self.session.out_paths_in_use():
            raise ValueError(f"--out: {out} is being written by another run; "
                             "set a different --out or --run-id")
        record = self.session.add(config, out, name, sweep)
        worker = RunWorker(config, out, self)
        worker.rows_ready.connect(lambda: self._rows(record, worker))
        worker.done.connect(lambda result: self._done(record, worker, result))
        worker.crashed.connect(lambda message: self._crashed(record, worker, message))
        self.workers[record.number] = worker
        LOG.info("launched %s -> %s", record.name, out)
        self.run_added.emit(record)
        worker.start()
        return record

    def stop(self, record: RunRecord) -> None:
        """Ask ``record``'s run to stop after its current round (its rows are kept)."""
        worker = self.workers.get(record.number)
        if worker is not None:
            LOG.info("stop requested for %s", record.name)
            worker.stop()

    def launch_sweep(self, base: Config, grid: dict[str, list[Any]]) -> GuiSweep:
        """Start a sweep of the form: its first runs now, the others as runs end.

        Raises:
            ConfigError: an invalid combination of the grid (the form checks them first).
        """
        sweep = GuiSweep.from_form(base, grid)
        self.sweeps.append(sweep)
        LOG.info("sweep %s: %d runs, %d to run, %d at a time, in %s", sweep.name,
                 len(sweep.plan.runs), len(sweep.waiting), sweep.jobs, sweep.plan.folder)
        self._start_sweep_runs(sweep)
        return sweep

    def _start_sweep_runs(self, sweep: GuiSweep) -> None:
        for planned in sweep.to_start():
            run = planned.run
            record = self.launch(run.config, planned.path, f"{run.label} seed={run.seed}",
                                 sweep.name)
            sweep.running[record.number] = planned
        self.sweep_changed.emit(sweep)

    def stop_all(self) -> None:
        """Ask every active run to stop; sweeps start no more runs."""
        for sweep in self.sweeps:
            sweep.waiting.clear()
        for record in self.session.active():
            self.stop(record)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every run and wait for the threads (closing the window)."""
        self.stop_all()
        for worker in list(self.workers.values()):
            worker.join(timeout)

    def _rows(self, record: RunRecord, worker: RunWorker) -> None:
        record.add_rows(worker.take_rows())
        self.run_updated.emit(record)

    def _done(self, record: RunRecord, worker: RunWorker, result: dict) -> None:
        record.add_rows(worker.take_rows())
        record.finish(result)
        self._ended(record, worker)

    def _crashed(self, record: RunRecord, worker: RunWorker, message: str) -> None:
        record.fail(message)
        self._ended(record, worker)

    def _ended(self, record: RunRecord, worker: RunWorker) -> None:
        worker.join()
        self.workers.pop(record.number, None)
        worker.deleteLater()
        self.run_ended.emit(record)
        for sweep in self.sweeps:
            if record.number in sweep.running:
                sweep.ended(record.number, record.status, record.error, record.result)
                self._start_sweep_runs(sweep)
