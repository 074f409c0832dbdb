"""W&B in offline mode: no network needed; ``--wandb-project`` is the project's modern spelling."""

import os
import subprocess
from pathlib import Path

import pytest

from fl_pytorch.cli import parse_config
from fl_pytorch.config import Config

pytest.importorskip("wandb")

ROOT = Path(__file__).resolve().parents[2]
ARGV = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec",
        "clients:4,samples_per_client:10,variables:5,homogeneous:0,l:2,mu:1", "--model", "linear",
        "--loss", "mse", "--rounds", "3", "--num-clients-per-round", "2", "--quiet"]


def test_wandb_project_is_an_alias_of_the_original_flag():
    config, _ = parse_config([*ARGV, "--wandb-project", "my-study"])
    assert config.wandb_project_name == "my-study"
    assert Config(wandb_project_name="my-study").to_argv() == ["--wandb-project-name", "my-study"]


def test_offline_run_logs_locally_with_every_network_route_closed(tmp_path):
    """A fresh process (W&B keeps one session per process) with every route closed."""
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens, any request fails at once
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path),
           "WANDB_BASE_URL": closed, "HTTP_PROXY": closed, "HTTPS_PROXY": closed,
           "WANDB_SILENT": "true"}
    proc = subprocess.run([str(ROOT / "run.sh"), *ARGV, "--out", "r.bin", "--wandb-key",
                           "offline", "--wandb-project", "my-study"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Weights & Biases" not in proc.stderr  # no "logging is off" line
    [run] = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")  # written by the time it exits
    data = run.read_bytes()
    assert b"dist_to_solution" in data and b"my-study" in data
