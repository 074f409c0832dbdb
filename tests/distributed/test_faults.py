"""Faults: a wrong secret, a worker that cannot build the problem, a busy worker, a worker killed
or stopped mid-run. Each ends with a clear error naming the worker, within the timeout; a lost
worker leaves a checkpoint from which the run resumes, with the remaining workers or locally,
to exactly the result of an uninterrupted run."""

import os
import signal
import subprocess
import time

import pytest

from fl_pytorch import Callback, ConfigError, prepare, run
from fl_pytorch.cli import main
from fl_pytorch.engine.checkpoint import read_checkpoint

from .conftest import ROOT, quadratic, same_bits

SCAFFOLD = dict(algorithm="scaffold", batch_size=20, client_compressor="natural")
FEDAVG = dict(algorithm="fedavg", client_compressor="randk:50%")


class At(Callback):
    """Calls ``action()`` after round ``at``."""

    def __init__(self, at, action=None):
        self.at, self.action, self.when = at, action, None

    def after_round(self, info, row):
        if row["round"] == self.at:
            self.when = time.monotonic()
            self.action()


@pytest.fixture(scope="module")
def victims(start_workers):
    """Two workers to kill or stop (one started with the original --worker-listen-mode)."""
    return start_workers(1, original_flag=True) + start_workers(1)


def test_wrong_secret_is_refused_on_both_sides_before_any_work(workers, remote, tmp_path,
                                                                 capsys):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-shared-secret-at-all\n")
    config = quadratic(**{**remote, "remote_secret_file": str(wrong)})
    message = f"--remote-secret-file: worker 127.0.0.1:{workers[0].port} refused the " \
        "connection: wrong secret"
    with pytest.raises(ConfigError) as refused:
        run(config, out=tmp_path / "r.bin")
    assert str(refused.value) == message
    assert main([*config.to_argv(), "--out", str(tmp_path / "c.bin")]) == 2  # the command line
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not (tmp_path / "r.bin").exists() and not (tmp_path / "c.bin").exists()
    deadline = time.monotonic() + 10
    while "wrong secret" not in workers[0].log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "wrong secret" in workers[0].log.read_text()


def test_a_worker_that_cannot_build_the_problem_is_named(workers, remote, tmp_path):
    devices = f"{workers[0].entry()},127.0.0.1:{workers[1].port}:cuda:7"
    result = run(quadratic(**{**remote, "external_devices": devices}), out=tmp_path / "r.bin")
    assert result["status"] == "failed"
    assert f"worker 127.0.0.1:{workers[1].port} (rank 2, devices cuda:7)" in result["error"]
    assert "--gpu: invalid value '7'; GPU 7 is not available" in result["error"]


def test_a_busy_worker_says_so(workers, remote, tmp_path):
    second = {}
    config = quadratic(**remote, rounds=3)
    hurried = config.replace(remote_timeout=4.0)  # waits 2 s for the worker to become free,
    # told meanwhile by the worker's heartbeats that it is alive (no race with the timeout)
    first = run(config, [At(1, lambda: second.update(run(hurried, out=tmp_path / "b.bin")))],
                out=tmp_path / "a.bin")
    assert first["status"] == "finished", (first["error"], second.get("error"))
    assert second["status"] == "failed"
    # both workers are busy; the first answer to arrive names one of them
    assert any(f"worker 127.0.0.1:{w.port} (rank" in second["error"] for w in workers)
    assert "busy with another run" in second["error"]


def _failing_run(config, victim, at, sig, path):
    callback = At(at, lambda: os.kill(victim.proc.pid, sig))
    result = run(config, [callback], out=path)
    return result, time.monotonic() - callback.when


def test_killed_worker_is_named_and_the_run_resumes_with_the_rest_or_locally(
        workers, victims, secret_file, tmp_path):
    victim = victims[0]
    remote = dict(external_devices=f"{workers[0].entry()},{victim.entry()}",
                  remote_secret_file=str(secret_file), remote_timeout=20.0,
                  checkpoint_every=4, checkpoint_dir=str(tmp_path))
    straight = run(quadratic(**SCAFFOLD), out=tmp_path / "straight.bin")
    result, seconds = _failing_run(quadratic(**SCAFFOLD, **remote), victim, 6, signal.SIGKILL,
                                   tmp_path / "r.bin")
    assert result["status"] == "failed" and not victim.alive()
    assert f"worker 127.0.0.1:{victim.port} (rank 2, devices cpu)" in result["error"]
    assert "the worker process ended" in result["error"] and seconds < 20
    # SCAFFOLD's control variates of rounds 5-6 lived on the workers: the round-4 checkpoint
    checkpoint = tmp_path / "r.ckpt"
    assert f"changed since the last checkpoint are lost with it; continue with --resume-from " \
        f"{checkpoint}" in result["error"]
    assert read_checkpoint(checkpoint)["round"] == 4
    assert len(read_checkpoint(checkpoint)["parts"]["client_states"]) > 0
    rest = run(quadratic(**SCAFFOLD, **{**remote, "external_devices": workers[0].entry()},
                         resume_from=str(checkpoint)), out=tmp_path / "rest.bin")
    local = run(quadratic(**SCAFFOLD, resume_from=str(checkpoint), checkpoint_dir=str(tmp_path)),
                out=tmp_path / "local.bin")
    assert rest["status"] == local["status"] == "finished", (rest["error"], local["error"])
    assert same_bits(rest, straight) and same_bits(local, straight)


def test_stopped_worker_times_out_and_leaves_a_checkpoint_of_the_last_round(
        workers, victims, secret_file, tmp_path):
    victim = victims[1]
    remote = dict(external_devices=f"{victim.entry()},{workers[1].entry()}",
                  remote_secret_file=str(secret_file), remote_timeout=3.0,
                  checkpoint_dir=str(tmp_path))
    straight = run(quadratic(**FEDAVG), out=tmp_path / "straight.bin")
    result, seconds = _failing_run(quadratic(**FEDAVG, **remote), victim, 3, signal.SIGSTOP,
                                   tmp_path / "r.bin")
    victim.proc.kill()
    assert result["status"] == "failed"
    error = result["error"]
    assert f"round 3: worker 127.0.0.1:{victim.port} (rank 1, devices cpu)" in error
    # stopped between rounds, it blocks the plan's transfer; stopped while training, its progress
    assert "Timed out waiting 3000ms" in error or "made no progress for 3 s" in error
    assert 3 <= seconds < 10
    # FedAvg keeps no client state: the master holds everything, round 3 is complete
    checkpoint = tmp_path / "r.ckpt"
    assert f"checkpoint of round 3 written; continue with --resume-from {checkpoint}" in error
    assert read_checkpoint(checkpoint)["round"] == 3
    local = run(quadratic(**FEDAVG, resume_from=str(checkpoint), checkpoint_dir=str(tmp_path)),
                out=tmp_path / "local.bin")
    assert local["status"] == "finished" and same_bits(local, straight)


def test_a_stopped_run_collects_the_workers_states_into_its_checkpoint(remote, tmp_path):
    straight = run(quadratic(**SCAFFOLD), out=tmp_path / "straight.bin")
    stopper = At(5)
    handle = prepare(quadratic(**SCAFFOLD, **remote, checkpoint_dir=str(tmp_path)), [stopper],
                     out=tmp_path / "r.bin")
    stopper.action = handle.stop
    assert handle.run()["status"] == "stopped"
    saved = read_checkpoint(tmp_path / "r.ckpt")
    assert saved["round"] == 5 and len(saved["parts"]["client_states"]) > 0
    local = run(quadratic(**SCAFFOLD, resume_from=str(tmp_path / "r.ckpt"),
                          checkpoint_dir=str(tmp_path)), out=tmp_path / "local.bin")
    assert same_bits(local, straight)


def test_a_worker_whose_master_dies_goes_back_to_listening(workers, remote, tmp_path):
    config = quadratic(**remote, rounds=100_000, checkpoint_dir=str(tmp_path))
    config.save_json(tmp_path / "cfg.json")
    log = workers[0].log
    before = log.read_text().count("started")
    master = subprocess.Popen([str(ROOT / "run.sh"), "--config", str(tmp_path / "cfg.json"),
                               "--out", str(tmp_path / "r.bin")], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("started") == before and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # some rounds
    finally:
        master.kill()
        master.wait(30)
    result = run(quadratic(**remote, rounds=2), out=tmp_path / "next.bin")
    assert result["status"] == "finished", result["error"]
    assert log.read_text().count("started") == before + 2
