"""Checkpoint and resume: a resumed run ends bit for bit where the uninterrupted run ends.

The run has every kind of state a checkpoint must carry: SCAFFOLD's client control variates (the
client-state store) and server control variate (H), a momentum server optimizer, a compressed
downlink (model replicas), uniform sampling, minibatch SGD and rand-k (random streams).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fl_pytorch import Callback, Config, load_result, prepare, run
from fl_pytorch.cli import main as cli_main
from fl_pytorch.engine.checkpoint import read_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # seconds; only to turn a hang into a failure
RUN = dict(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss",
           algorithm="scaffold", client_sampling_type="uniform", num_clients_per_round=4,
           client_compressor="randk:20%", server_compressor="topk:50%",
           algorithm_options="internal_sgd:sgd", batch_size=16, number_of_local_iters=2,
           run_local_steps=True, local_lr=0.05, global_optimiser="momentum", global_lr=0.5,
           rounds=20, eval_every=5, quiet=True)


def _bytes(result):
    metrics = {m: v.tobytes() for m, v in result["metrics"].items() if m != "wall_time"}
    clients = {k: v.tobytes() for k, v in result["clients"].items()}  # per-client totals
    return metrics, clients, result["final_params"].tobytes()


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    path = tmp_path_factory.mktemp("straight") / "straight.bin"
    run(Config(**RUN), out=path)
    result = load_result(path)
    assert result["status"] == "finished" and len(result["metrics"]["round"]) == 21
    return _bytes(result)


def _resume(ckpt, out, **changes):
    run(Config(**RUN, resume_from=str(ckpt), **changes), out=out)
    result = load_result(out)
    assert result["status"] == "finished"
    return _bytes(result)


def test_resume_from_round_10_equals_the_straight_20_rounds(straight, tmp_path):
    # a 10-round run evaluates its last round, as the 20-round run does (--eval-every 5)
    first = run(Config(**{**RUN, "rounds": 10}, checkpoint_every=10,
                       checkpoint_dir=str(tmp_path)), out=tmp_path / "half.bin")
    assert first["status"] == "finished"
    ckpt = tmp_path / "half.ckpt"
    assert read_checkpoint(ckpt)["round"] == 10
    assert _resume(ckpt, tmp_path / "rest.bin", threadpool_for_local_opt="2") == straight


class _Stop(Callback):
    def __init__(self, at):
        self.at, self.handle = at, None

    def after_round(self, info, row):
        if row["round"] == self.at:
            self.handle.stop()


def test_stop_request_with_thread_pools_writes_a_checkpoint_to_resume(straight, tmp_path):
    stopper = _Stop(10)
    handle = prepare(Config(**RUN, threadpool_for_local_opt="2", eval_async_threads=1,
                            save_async_threads=1, checkpoint_dir=str(tmp_path)),
                     [stopper], out=tmp_path / "r.bin")
    stopper.handle = handle
    stopped = handle.run()
    done = len(stopped["metrics"]["round"]) - 1
    assert stopped["status"] == "stopped" and 10 <= done < 20
    assert read_checkpoint(tmp_path / "r.ckpt")["round"] == done
    assert _resume(tmp_path / "r.ckpt", tmp_path / "rest.bin") == straight


class _CtrlC(Callback):
    def __init__(self, at, times):
        self.at, self.times = at, times

    def after_round(self, info, row):
        if row["round"] == self.at:
            for _ in range(self.times):
                signal.raise_signal(signal.SIGINT)


def test_ctrl_c_finishes_the_round_and_writes_a_checkpoint_to_resume(straight, tmp_path):
    result = run(Config(**RUN, checkpoint_dir=str(tmp_path)), [_CtrlC(7, 1)],
                 out=tmp_path / "r.bin")
    assert result["status"] == "interrupted"
    assert result["metrics"]["round"].tolist() == list(range(8))
    assert read_checkpoint(tmp_path / "r.ckpt")["round"] == 7
    assert _resume(tmp_path / "r.ckpt", tmp_path / "rest.bin") == straight


def test_a_second_ctrl_c_stops_at_once_and_writes_no_half_updated_checkpoint(tmp_path):
    result = run(Config(**RUN, checkpoint_dir=str(tmp_path)), [_CtrlC(5, 2)],
                 out=tmp_path / "r.bin")
    assert result["status"] == "interrupted"
    assert not (tmp_path / "r.ckpt").exists()


DRIVER = """
import sys
from fl_pytorch import Callback, Config, run

class Hold(Callback):  # after round 6 (the round-4 checkpoint is on disk): say so, then block
    def after_round(self, info, row):
        if row["round"] == 6:
            print("holding", flush=True)
            sys.stdin.readline()

run(Config.load_json(sys.argv[1]), [Hold()], out=sys.argv[2])
"""


def test_sigkill_after_a_checkpoint_then_resume_from_the_command_line(straight, tmp_path):
    config = Config(**RUN, checkpoint_every=4, checkpoint_dir=str(tmp_path))
    config.save_json(tmp_path / "cfg.json")
    (tmp_path / "driver.py").write_text(DRIVER)
    ckpt = tmp_path / "killed.ckpt"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"),
                             str(tmp_path / "cfg.json"), str(tmp_path / "killed.bin")],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"holding\n", proc.stderr.read().decode()  # waits for it
    proc.kill()
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL, err.decode()
    assert not (tmp_path / "killed.bin").exists()  # it never reached the end
    assert read_checkpoint(ckpt)["round"] == 4
    assert cli_main(["--resume-from", str(ckpt), "--out", str(tmp_path / "resumed.bin"),
                     "--quiet"]) == 0
    resumed = load_result(tmp_path / "resumed.bin")
    assert resumed["status"] == "finished" and _bytes(resumed) == straight


def test_resume_with_the_default_server_optimizer(quad_config, tmp_path):
    """The default plain-SGD server optimizer is checkpointed too (quadratic, FedAvg)."""
    cfg = quad_config(rounds=12, eval_every=1, client_sampling_type="uniform",
                      num_clients_per_round=3, client_compressor="randk:30%")
    straight = _bytes(run(cfg, out=tmp_path / "straight.bin"))
    run(cfg.replace(rounds=6, checkpoint_every=6, checkpoint_dir=str(tmp_path)),
        out=tmp_path / "half.bin")
    run(cfg.replace(resume_from=str(tmp_path / "half.ckpt")), out=tmp_path / "rest.bin")
    assert _bytes(load_result(tmp_path / "rest.bin")) == straight
