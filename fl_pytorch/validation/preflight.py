"""Everything a run checks before it does any work (``api.prepare`` calls these).

:func:`before_build`: every output location can be written (result file, checkpoint, log), the
memory and time lower bounds fit this machine, stale temporary files of this run's files are
removed, and every remote worker accepts the shared secret. :func:`after_build`: the time lower
bound again with the loaded problem, and a checkpoint to resume from fits the problem. A
failure is one ConfigError (exit status 2); nothing has been written then.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config import Config
from ..engine.run_files import checkpoint_path, default_out_path
from ..errors import ConfigError
from .outputs import check_output_file, check_output_folder, remove_stale_temps

LOGGER = logging.getLogger("fl_pytorch")


def check_outputs(config: Config, out_path: Path, checkpoint: Path | None) -> None:
    """Every file the run will write can be written (raises ConfigError naming the option)."""
    check_output_file("--out", out_path)
    if checkpoint is not None:
        check_output_file("--checkpoint-dir", checkpoint)
    if config.logfile:
        check_output_file("--logfile", config.logfile)
    if config.tensorboard:
        check_output_folder("--tensorboard", config.tensorboard)


def check_command_line_outputs(config: Config, save_config: str | None) -> None:
    """What the command line will write, checked before torch is even imported.

    ``--save-config FILE`` writes only that file; a run writes its result file, checkpoint and
    log.
    """
    if save_config:
        check_output_file("--save-config", save_config)
        return
    out = default_out_path(config)
    check_outputs(config, out, checkpoint_path(config, out))


def clean_stale_temps(config: Config, out_path: Path, checkpoint: Path | None) -> None:
    """Remove what killed writes of this run's files left behind (logged)."""
    targets = [out_path, checkpoint, Path(config.resume_from) if config.resume_from else None]
    for target in (t for t in targets if t is not None):
        for stale in remove_stale_temps(target):
            LOGGER.info("removed %s, left by an interrupted write", stale)


def check_workers(config: Config) -> None:
    """Every remote worker must accept the shared secret (a wrong one is an input error).

    Workers that cannot be reached, are busy or are not workers at all are left to the run,
    which reports them (a failed run).
    """
    if not config.external_devices:
        return
    from ..distributed.auth import load_secret
    from ..distributed.probe import probe_worker
    from ..utils.addresses import parse_external_devices
    secret = load_secret(config.remote_secret_file, "--remote-secret-file")
    for worker in parse_external_devices(config.external_devices):
        status = probe_worker(worker.host, worker.port, secret,
                              timeout=min(10.0, config.remote_timeout))
        if status.refused_us:
            raise ConfigError(f"--remote-secret-file: {status.message}")


def before_build(config: Config, out_path: Path, checkpoint: Path | None) -> None:
    """Checks before the data set is loaded (see the module docstring)."""
    config.validate()
    from . import budget
    check_outputs(config, out_path, checkpoint)
    budget.check_config(config)
    check_workers(config)
    clean_stale_temps(config, out_path, checkpoint)


def after_build(sim: Any, resume: dict[str, Any] | None) -> None:
    """Checks once the simulation is built: time with its real size; the checkpoint's shapes."""
    from . import budget
    budget.check_simulation(sim)
    if resume is not None:
        from ..engine.checkpoint_check import check_fits
        check_fits(resume, sim)
