"""A plugin algorithm runs on a remote worker started with the same plugin, bit for bit as a
local run; a worker started without it refuses the run, naming the plugin (the master sends
names, never code). Master and local runs are separate processes, so the plugin never
registers in this test process."""

from __future__ import annotations

import subprocess

from fl_pytorch import load_result

from .conftest import ROOT, Worker, same_bits

PLUGIN = ROOT / "experiments" / "tutorial" / "my_algorithm.py"
RUN = ["--plugins", str(PLUGIN), "--algorithm", "feddyn", "--dataset",
       "generated_for_quadratic_minimization", "--dataset-generation-spec",
       "clients:4,samples_per_client:10,variables:5,homogeneous:0,l:2,mu:1", "--model", "linear",
       "--loss", "mse", "--rounds", "4", "--client-sampling-type", "full", "--compute-type",
       "fp64", "--algorithm-options", "internal_sgd:full-gradient,alpha:1", "--quiet"]


def _run(args: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "run.sh"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_plugin_runs_on_a_worker_started_with_it(tmp_path, secret_file):
    worker = Worker(["worker", "--port", "0", "--host", "127.0.0.1", "--secret-file",
                     str(secret_file), "--plugins", str(PLUGIN)], tmp_path / "w.log").wait_ready()
    bare = Worker(["worker", "--port", "0", "--host", "127.0.0.1", "--secret-file",
                   str(secret_file)], tmp_path / "bare.log").wait_ready()
    try:
        remote = [*RUN, "--remote-secret-file", str(secret_file), "--remote-timeout", "30"]
        on_worker = _run([*remote, "--external-devices", worker.entry(), "--out",
                          str(tmp_path / "remote.bin")], tmp_path)
        assert on_worker.returncode == 0, on_worker.stderr
        local = _run([*RUN, "--out", str(tmp_path / "local.bin")], tmp_path)
        assert local.returncode == 0, local.stderr
        a, b = load_result(tmp_path / "remote.bin"), load_result(tmp_path / "local.bin")
        assert a["environment"]["executor"].startswith("remote: 1 worker(s)") and same_bits(a, b)
        refused = _run([*remote, "--external-devices", bare.entry(), "--out",
                        str(tmp_path / "bare.bin")], tmp_path)
        assert refused.returncode != 0
        assert "not started with the plugin(s)" in refused.stderr and "my_algorithm" in \
            refused.stderr
    finally:
        worker.stop()
        bare.stop()
