"""Every one of the original tool's 66 flags, with a value its GUI writes, runs (exit 0).

Each case is a tiny run (quadratic problem, 2 rounds) through ``fl_pytorch.cli.main`` in this
process; the remote-worker flags run a real worker process on 127.0.0.1. The ``gui`` values are
those of the original's ``currentCommandLineFromGUI`` (gui/start.py) and widgets
(gui/generated/ConfigWidget.py); flags its GUI never writes use values of its argparse choices.
"""

import math
import re
import time
from pathlib import Path

import pytest

from fl_pytorch import load_result
from fl_pytorch.cli import main
from tests.distributed.conftest import Worker

SPEC = "clients:4,samples_per_client:12,variables:10,homogeneous:0,l:2,mu:1"
BASE = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec", SPEC,
        "--model", "linear", "--loss", "mse", "--rounds", "2", "--num-clients-per-round", "4",
        "--out", "run.bin", "--quiet"]
DIGITS = ["--dataset", "digits", "--model", "small_cnn", "--loss", "crossentropy",
          "--num-clients", "4"]
CHECKPOINT = "{checkpoint}"  # replaced by the path of a checkpoint written by a first run

FLAGS = {  # original flag -> arguments using it (with what they need)
    "--rounds": ["--rounds", "3"],
    "--client-sampling-type": ["--client-sampling-type", "poisson-no-empty",
                               "--client-sampling-poisson", "0.3"],
    "--num-clients-per-round": ["--num-clients-per-round", "2"],
    "--client-sampling-poisson": ["--client-sampling-type", "poisson",
                                  "--client-sampling-poisson", "1.0"],
    "--global-lr": ["--global-lr", "1"],
    "--global-lr-type": ["--global-lr-type", "cifar_1"],
    "--global-optimiser": ["--global-optimiser", "RMSPROP"],
    "--global-momentum": ["--global-momentum", "0.9"],
    "--global-weight-decay": ["--global-weight-decay", "0.0"],
    "--run-local-steps": ["--run-local-steps", "-li", "2"],
    "-li/--number-of-local-iters": ["-li", "2", "--number-of-local-iters", "1"],
    "-b/--batch-size": ["-b", "500", "--batch-size", "500"],
    "--local-lr": ["--local-lr", "0.01"],
    "--local-lr-type": ["--local-lr-type", "cifar_2"],
    "--local-optimiser": ["--local-optimiser", "ADAM"],
    "--local-momentum": ["--local-momentum", "0.5"],
    "--local-weight-decay": ["--local-weight-decay", "0.0"],
    "--dataset": ["--dataset", "generated_for_quadratic_minimization"],
    "--dataset-generation-spec": [
        "--dataset-generation-spec",
        "homogeneous:1,mu:1.0,L:2.0,samples_per_client:12,clients:10,variables:10",
        "--num-clients-per-round", "10"],
    "--metric": ["--metric", "none"],
    "--model": ["--model", "linear"],
    "--use-pretrained": ["--use-pretrained", "--model", "tv_resnet18", "--dataset", "cifar10_fl",
                         "--loss", "crossentropy", "--data-path", "data", "--train-last-layer",
                         "--num-clients-per-round", "10", "--metric", "top_1_acc"],
    "--train-last-layer": [*DIGITS, "--train-last-layer"],
    "--turn-off-batch-normalization-and-dropout": [*DIGITS, "--model", "resnet20",
                                                   "--turn-off-batch-normalization-and-dropout"],
    "--checkpoint-dir": ["--checkpoint-dir", "../check_points"],
    "--do-not-save-eval-checkpoints": ["--do-not-save-eval-checkpoints"],
    "--resume-from": ["--resume-from", CHECKPOINT, "--rounds", "3"],
    "--load-best": ["--resume-from", CHECKPOINT, "--load-best", "--rounds", "3"],
    "--data-path": ["--data-path", "../data/"],
    "--compute-type": ["--compute-type", "fp16"],
    "--gpu": ["--gpu", "-1"],
    "--log-gpu-usage": ["--log-gpu-usage"],
    "-n/--num-workers-train": ["-n", "0", "--num-workers-train", "2"],
    "-nt/--num-workers-test": ["-nt", "0", "--num-workers-test", "2"],
    "--deterministic": ["--deterministic"],
    "--manual-init-seed": ["--manual-init-seed", "123"],
    "--manual-runtime-seed": ["--manual-runtime-seed", "456"],
    "--group-name": ["--group-name", ""],
    "--comment": ["--comment", ""],
    "--hostname": ["--hostname", "node-7"],
    "--eval-every": ["--eval-every", "100"],
    "--eval-async-threads": ["--eval-async-threads", "0"],
    "--save-async-threads": ["--save-async-threads", "0"],
    "--threadpool-for-local-opt": ["--threadpool-for-local-opt", "0"],
    "--run-id": ["--run-id", "{simcounter}_job_id_{now}"],
    "--algorithm": ["--algorithm", "DIANA", "--client-compressor", "randk:5%"],
    "--algorithm-options": ["--algorithm-options",
                            "internal_sgd:iterated-minibatch,reshuffle:each_round,tau:25%"],
    "--client-compressor": ["--client-compressor", "ident:5%"],
    "--extra-track": ["--extra-track", "full_gradient_norm_train,full_objective_value_train,"
                      "full_gradient_norm_val,full_objective_value_val"],
    "--loss": ["--loss", "MSE"],
    "--global-regulizer": ["--global-regulizer", "cvx_l2norm_square_div_2",
                           "--global-regulizer-alpha", "0.01"],
    "--global-regulizer-alpha": ["--global-regulizer-alpha", "0.0"],
    "--out": ["--out", "current.bin"],
    "--wandb-key": ["--wandb-key", "0123456789abcdef0123456789abcdef01234567"],
    "--wandb-project-name": ["--wandb-project-name", "fl_pytorch_simulation"],
    "--external-devices": ["--external-devices", "127.0.0.1:{port}:cpu:-1",
                           "--remote-secret-file", "{secret}"],
    "--worker-listen-mode": ["--external-devices", "127.0.0.1:{port}:cpu:-1",
                             "--remote-secret-file", "{secret}"],
    "--loglevel": ["--loglevel", "warn"],
    "--logfilter": ["--logfilter", ".*"],
    "--store-client-state-in-cpu": ["--store-client-state-in-cpu"],
    "--per-round-clean-torch-cache": ["--per-round-clean-torch-cache"],
    "--allow-use-nv-tensorcores": ["--allow-use-nv-tensorcores"],
    "--initialize-shifts-policy": ["--initialize-shifts-policy", "full_gradient_at_start"],
    "--sort-dataset-by-class-before-split": [*DIGITS, "--sort-dataset-by-class-before-split"],
    "--logfile": ["--logfile", "../logs/{simcounter}_log_{now}.txt"],
    "--evaluate": ["--evaluate", "--resume-from", CHECKPOINT],
}
REMOTE = ("--external-devices", "--worker-listen-mode")


def test_the_table_has_every_original_flag():
    """The 66 flags of the original's opts.py (short and long spellings together)."""
    spellings = [s for flag in FLAGS for s in flag.split("/")]
    assert len(FLAGS) == 66 and len(spellings) == 70
    text = (Path(__file__).resolve().parents[2] / "docs" / "compatibility.md").read_text()
    assert all(f"`{s}`" in text for s in spellings)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    code = main([*BASE, "--checkpoint-every", "2", "--checkpoint-dir", str(folder),
                 "--out", str(folder / "first.bin")])
    assert code == 0
    return folder / "first.ckpt"


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    """A worker started the original way: run.sh --worker-listen-mode PORT (0 = any free)."""
    folder = tmp_path_factory.mktemp("worker")
    secret = folder / "secret.txt"
    secret.write_text("compat-tests-0123456789abcdef\n")
    proc = Worker(["--worker-listen-mode", "0", "--host", "127.0.0.1", "--secret-file",
                   str(secret)], folder / "worker.log").wait_ready()
    yield proc, secret
    proc.stop()


@pytest.mark.parametrize("flag", list(FLAGS))
def test_original_flag_runs(flag, request, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("WANDB_MODE", "offline")
    values = {"checkpoint": "", "port": "", "secret": ""}
    if CHECKPOINT in FLAGS[flag]:
        values["checkpoint"] = str(request.getfixturevalue("checkpoint"))
    if flag in REMOTE:
        proc, secret = request.getfixturevalue("worker")
        values.update(port=str(proc.port), secret=str(secret))
    if flag == "--use-pretrained":
        _pretrained_files(work, tmp_path / "torch", monkeypatch)
    argv = [a.replace(CHECKPOINT, values["checkpoint"]).replace("{port}", values["port"])
            .replace("{secret}", values["secret"]) for a in FLAGS[flag]]
    assert main([*BASE, *argv]) == 0
    out = "current.bin" if flag == "--out" else "run.bin"
    result = load_result(work / out)
    assert result["status"] == "finished"
    CHECKS.get(flag, lambda r, w: None)(result, work)


def _pretrained_files(work: Path, torch_home: Path, monkeypatch) -> None:
    import torch
    import torchvision

    from tests.data.files import write_cifar10
    write_cifar10(work / "data", per_batch=4, test=10)
    hub = torch_home / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               hub / "resnet18-f37072fd.pth")
    monkeypatch.setenv("TORCH_HOME", str(torch_home))


def _metric_none(result, work):
    assert "loss" not in result["metrics"] and "dist_to_solution" in result["metrics"]


def _val_metrics(result, work):
    m = result["metrics"]
    for name in ("full_gradient_norm_val", "full_objective_value_val",
                 "full_gradient_norm_train", "full_objective_value_train"):
        assert math.isfinite(m[name][-1]), name
    # no test split: the validation metrics are those of all (equally many) training samples
    assert m["full_objective_value_val"][-1] == pytest.approx(m["full_objective_value_train"][-1])


def _wandb(result, work):
    runs = list((work / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(runs) == 1
    # W&B's service process may still be writing its log after finish() returns: wait for it
    deadline = time.monotonic() + 120
    while b"dist_to_solution" not in runs[0].read_bytes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert b"dist_to_solution" in runs[0].read_bytes()


CHECKS = {
    "--metric": _metric_none,
    "--extra-track": _val_metrics,
    "--wandb-key": _wandb,
    "--hostname": lambda r, w: r["environment"]["hostname"] == "node-7" or pytest.fail("host"),
    "--evaluate": lambda r, w: (r["metrics"]["round"].tolist() == [2]
                                or pytest.fail("evaluated round")),
    "--logfile": lambda r, w: len(list((w.parent / "logs").glob("*_log_*.txt"))) == 1
    or pytest.fail("log file"),
    # {simcounter} counts the simulations of this process, as in the original's GUI
    "--run-id": lambda r, w: re.fullmatch(r"[1-9]\d*_job_id_\d+", r["config"]["run_id"])
    or pytest.fail("run id"),
}
