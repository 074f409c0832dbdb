"""SIGINT, SIGTERM and SIGHUP end a run the same way: the round finishes, the result file says
``interrupted``, a checkpoint is written when enabled; before the run, one line and no file.

Every test waits on what the process prints (blocking reads of its log), never on the clock.
"""

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fl_pytorch import load_result
from fl_pytorch.engine.checkpoint import read_checkpoint

ROOT = Path(__file__).resolve().parents[2]
QUAD = ["--dataset", "generated_for_quadratic_minimization", "--model", "linear", "--loss",
        "mse", "--metric", "loss", "--dataset-generation-spec",
        "clients:4,samples_per_client:20,variables:5", "--client-sampling-type", "full"]
WATCHDOG_S = 300  # a process that never reaches the awaited line is killed (the test fails)


def _start(tmp_path, *extra, **popen):
    out = tmp_path / "r.bin"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fl_pytorch", *QUAD, "--rounds", "1000000", "--loglevel",
         "DEBUG", "--out", str(out), *extra], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, **popen)
    watchdog = threading.Timer(WATCHDOG_S, proc.kill)
    watchdog.start()
    return proc, out, watchdog


def _wait_for_line(proc, text):
    """Read the process's log until a line containing ``text``; return the lines read."""
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError(f"the process ended before printing {text!r}:\n{''.join(lines)}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_stop_signal_keeps_the_rounds_done_and_writes_a_checkpoint(tmp_path, signum):
    proc, out, watchdog = _start(tmp_path, "--checkpoint-dir", str(tmp_path))
    try:
        _wait_for_line(proc, " round 3: ")
        proc.send_signal(signum)
        _, err = proc.communicate()
    finally:
        watchdog.cancel()
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert f"{name}: stopping after this round" in err
    saved = load_result(out)
    assert saved["status"] == "interrupted" and saved["config"]["rounds"] == 1000000
    rounds = saved["metrics"]["round"].tolist()
    assert rounds == list(range(len(rounds))) and len(rounds) >= 4  # round 3 was logged
    assert read_checkpoint(tmp_path / "r.ckpt")["round"] == rounds[-1]


def test_an_ignored_sighup_stays_ignored(tmp_path):
    """Like under nohup: SIGHUP does not stop the run; SIGTERM still does."""
    ignore = lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)  # noqa: E731
    proc, out, watchdog = _start(tmp_path, preexec_fn=ignore)
    try:
        _wait_for_line(proc, " round 3: ")
        proc.send_signal(signal.SIGHUP)
        _wait_for_line(proc, " round 6: ")  # still running after the ignored SIGHUP
        proc.send_signal(signal.SIGTERM)
        proc.communicate()
    finally:
        watchdog.cancel()
    assert proc.returncode == 128 + signal.SIGTERM
    assert load_result(out)["status"] == "interrupted"


SIGNAL_DURING_IMPORT = """
import os, signal, sys
sent = []
def hook(event, args):  # the signal arrives while {module} is being imported
    if event == "import" and args[0] == "{module}" and not sent:
        sent.append(1)
        os.kill(os.getpid(), signal.{name})
sys.addaudithook(hook)
from fl_pytorch.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _signal_during_import(tmp_path, module, name):
    out = tmp_path / "r.bin"
    code = SIGNAL_DURING_IMPORT.format(module=module, name=name)
    proc = subprocess.run([sys.executable, "-c", code, *QUAD, "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=WATCHDOG_S)
    assert proc.returncode == 128 + getattr(signal, name), proc.stderr
    return proc.stderr, out


@pytest.mark.parametrize("name, line", [
    ("SIGINT", "interrupted (Ctrl-C) before a run started; nothing was computed"),
    ("SIGTERM", "interrupted (SIGTERM) before a run started; nothing was computed")])
def test_a_signal_while_torch_is_imported_prints_one_line(tmp_path, name, line):
    err, out = _signal_during_import(tmp_path, "torch", name)
    assert err == line + "\n"
    assert not out.exists()


def test_a_signal_once_the_options_are_valid_ends_the_run_at_its_first_round(tmp_path):
    """As ``timeout -s TERM 5 ./run.sh ...`` on a slow machine: the run is being set up."""
    err, out = _signal_during_import(tmp_path, "fl_pytorch.api", "SIGTERM")
    assert "SIGTERM: stopping at the first round boundary" in err
    saved = load_result(out)
    assert saved["status"] == "interrupted" and saved["metrics"]["round"].tolist() == [0]
