"""W&B in offline mode: no network needed; ``--wandb-project`` is the project's modern spelling."""

import logging

import pytest

from fl_pytorch.cli import main
from fl_pytorch.config import Config

wandb = pytest.importorskip("wandb")

ARGV = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec",
        "clients:4,samples_per_client:10,variables:5,homogeneous:0,l:2,mu:1", "--model", "linear",
        "--loss", "mse", "--rounds", "3", "--num-clients-per-round", "2", "--quiet"]


def test_wandb_project_is_an_alias_of_the_original_flag():
    from fl_pytorch.cli import parse_config
    config, _ = parse_config([*ARGV, "--wandb-project", "my-study"])
    assert config.wandb_project_name == "my-study"
    assert Config(wandb_project_name="my-study").to_argv() == ["--wandb-project-name", "my-study"]


def test_offline_run_logs_locally_with_every_network_route_closed(tmp_path, monkeypatch, caplog):
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens, any request fails at once
    for name, value in {"WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path),
                        "WANDB_BASE_URL": closed, "HTTP_PROXY": closed, "HTTPS_PROXY": closed,
                        "WANDB_SILENT": "true"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.WARNING, logger="fl_pytorch"):
        assert main([*ARGV, "--out", "r.bin", "--wandb-key", "offline",
                     "--wandb-project", "my-study"]) == 0
    assert not [r for r in caplog.records if "Weights & Biases" in r.getMessage()]
    wandb.teardown()  # waits for W&B's service process, which writes the run's log
    [run] = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    data = run.read_bytes()
    assert b"dist_to_solution" in data and b"my-study" in data
