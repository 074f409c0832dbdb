"""Real worker processes on 127.0.0.1 for the remote-worker tests.

Two shared workers serve every test of the session (a worker serves runs one after another);
tests that kill or stop a worker start their own. Every process is bounded in time and stopped
at the end.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from fl_pytorch import Config

ROOT = Path(__file__).resolve().parents[2]
SECRET = "distributed-tests-0123456789abcdef"
START_TIMEOUT = 90  # seconds for a worker to print its address (torch import on a busy machine)
QUAD_SPEC = "clients:10,samples_per_client:40,variables:10,homogeneous:0,l:2,mu:1"


class Worker:
    """A worker process: ``run.sh`` with ``args`` (its log goes to ``log``)."""

    def __init__(self, args: list[str], log: Path, cwd: Path = ROOT):
        self.log = log
        self._log_file = open(log, "w")
        self.proc = subprocess.Popen(
            [str(ROOT / "run.sh"), *args], cwd=cwd, stdout=subprocess.PIPE,
            stderr=self._log_file, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.port = 0

    def wait_ready(self) -> Worker:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if ready:
                line = self.proc.stdout.readline()
                assert "worker listening on 127.0.0.1:" in line, line + self.log.read_text()
                self.port = int(line.split("127.0.0.1:")[1].split(";")[0])
                return self
            assert self.proc.poll() is None, self.log.read_text()
        raise AssertionError(f"worker did not start in {START_TIMEOUT} s")

    def entry(self, device: str = "cpu") -> str:
        return f"127.0.0.1:{self.port}:{device}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc.stdout.close()
        self._log_file.close()


@pytest.fixture(scope="session")
def secret_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


@pytest.fixture(scope="session")
def start_workers(tmp_path_factory, secret_file):
    """``start(n, original_flag=False)``: n new workers, ready; all stopped at the end."""
    started: list[Worker] = []
    folder = tmp_path_factory.mktemp("workers")

    def start(n: int, original_flag: bool = False) -> list[Worker]:
        flag = ["--worker-listen-mode", "0"] if original_flag else ["worker", "--port", "0"]
        args = [*flag, "--host", "127.0.0.1", "--secret-file", str(secret_file)]
        new = [Worker(args, folder / f"worker{len(started) + k}.log") for k in range(n)]
        started.extend(new)
        return [w.wait_ready() for w in new]
    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def workers(start_workers) -> list[Worker]:
    """Two workers shared by the session's tests (they must stay healthy)."""
    return start_workers(2)


@pytest.fixture
def remote(workers, secret_file):
    """Config changes that run the clients on the two shared workers."""
    return dict(external_devices=",".join(w.entry() for w in workers),
                remote_secret_file=str(secret_file), remote_timeout=20.0)


def quadratic(**changes) -> Config:
    """A small float64 quadratic problem with partial participation and minibatches."""
    base = dict(dataset="generated_for_quadratic_minimization", dataset_generation_spec=QUAD_SPEC,
                model="linear", loss="mse", metric="loss", compute_type="fp64",
                client_sampling_type="uniform", num_clients_per_round=4,
                algorithm_options="internal_sgd:sgd", batch_size=8, run_local_steps=True,
                number_of_local_iters=3, local_lr=0.1, rounds=12, eval_every=1,
                threadpool_for_local_opt="0", quiet=True)
    base.update(changes)
    return Config(**base)


def same_bits(a: dict, b: dict) -> bool:
    """Metrics (all but wall time), per-client totals, final parameters and batch-norm
    statistics, byte for byte."""
    def key(r):
        buffers = r.get("final_buffers")
        return ({m: v.tobytes() for m, v in r["metrics"].items() if m != "wall_time"},
                {k: v.tobytes() for k, v in r["clients"].items()}, r["final_params"].tobytes(),
                None if buffers is None else buffers.tobytes())
    return key(a) == key(b)
