"""A sweep's worker process: runs the configurations it is sent, one at a time.

``python -m fl_pytorch.sweep.worker`` reads one JSON line per run from stdin
(``{"config": {...options}, "out": PATH}``) and answers one JSON line on stdout
(``{"status", "error", "final"}``) when the run has ended and its result file is written.
It imports torch once for all its runs. A stop signal (the sweep forwards Ctrl-C, SIGTERM,
SIGHUP) ends the current run as the command line does: after its current round, with its
result file (status ``interrupted``); a second one stops it at once. A signal between runs is
kept for the next run, which then ends at its first round (the sweep sends none after a stop).
End of input ends the worker.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from ..errors import ConfigError, one_line
from ..results.tuning import final_values
from ..utils.signals import defer_stop_signals, stop_signals_as_interrupts


def run_one(task: dict[str, Any]) -> dict[str, Any]:
    """Run one configuration; the answer the sweep records (never raises for a bad run)."""
    import torch

    from .. import api
    from ..config import Config
    from ..tracking.logging_setup import LogCallback, configure_logging
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        config = Config.from_dict(task["config"])
        configure_logging("WARNING" if config.quiet else config.loglevel, config.logfile,
                          config.logfilter)
        defer_stop_signals()  # a signal from now until round 1 ends the run there
        result = api.prepare(config, [LogCallback()], out=task["out"]).run()
    except ConfigError as e:
        return {"status": "failed", "error": one_line(e), "final": {}}
    except KeyboardInterrupt:  # a second signal while the run was being built
        return {"status": "interrupted", "error": "stopped before the first round", "final": {}}
    except Exception as e:
        return {"status": "failed", "error": f"{type(e).__name__}: {one_line(e)}", "final": {}}
    finally:  # --deterministic is process-wide: the next run starts as a fresh process would
        torch.use_deterministic_algorithms(deterministic)
    return {"status": result["status"], "error": result.get("error"),
            "final": final_values(result)}


def serve(tasks: TextIO, answers: TextIO) -> None:
    """Answer every task line of ``tasks`` until its end."""
    for line in tasks:
        if line.strip():
            answers.write(json.dumps(run_one(json.loads(line)), allow_nan=False) + "\n")
            answers.flush()


def main() -> int:
    """Serve stdin (stop signals are kept for the run being set up or going on)."""
    try:
        with stop_signals_as_interrupts():
            defer_stop_signals()
            serve(sys.stdin, sys.stdout)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
