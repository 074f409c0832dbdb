"""The original GUI's full default command line runs here unchanged (2 rounds instead of 3000).

The line is what the original's "show command line" (``onCmdLineGenerationForCurrentExperiment``
in ``gui/start.py``) prints for its default widget values (``gui/generated/ConfigWidget.py``) on a
machine without a GPU: every item quoted, ``--out "current.bin"`` appended, ``python run.py``
in front. Its dataset (cifar10_fl), pretrained tv_resnet18 and folders (../data/, ../logs/,
../check_points) are real files written in their real formats into a temporary tree.
"""

import shlex
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from fl_pytorch import load_result
from tests.data.files import write_cifar10

ROOT = Path(__file__).resolve().parents[2]
HOST = socket.gethostname()
GUI_DEFAULT = (
    'python run.py --rounds "3000" --client-sampling-type "uniform" --num-clients-per-round "10" '
    '--global-lr "1" --global-optimiser "SGD" --global-weight-decay "0.0" '
    '--number-of-local-iters "1" --batch-size "500" --local-lr "0.01" --local-optimiser "SGD" '
    '--local-weight-decay "0.0" --dataset "cifar10_fl" --loss "CROSSENTROPY" '
    '--model "tv_resnet18" --use-pretrained --train-last-layer --metric "top_1_acc" '
    '--global-regulizer "none" --global-regulizer-alpha "0.0" --checkpoint-dir "../check_points" '
    '--do-not-save-eval-checkpoints --data-path "../data/" --compute-type "fp64" --gpu "-1" '
    '--log-gpu-usage --num-workers-train "0" --num-workers-test "0" --deterministic '
    '--manual-init-seed "123" --manual-runtime-seed "456" --group-name "" --comment "" '
    f'--hostname "{HOST}" --eval-every "100" --eval-async-threads "0" --save-async-threads "0" '
    '--threadpool-for-local-opt "0" --run-id "{simcounter}_job_id_{now}" '
    '--algorithm "GRADSKIP" --algorithm-options "internal_sgd:full-gradient" '
    '--logfile "../logs/{simcounter}_log_{now}.txt" --client-compressor "ident:5%" '
    '--extra-track "full_gradient_norm_train,full_objective_value_train" '
    '--allow-use-nv-tensorcores --initialize-shifts-policy "zero" --wandb-key "" '
    '--wandb-project-name "fl_pytorch_simulation" --loglevel "DEBUG" --logfilter ".*" '
    '--out "current.bin"')
#: what the original GUI writes instead of the dataset/model part when its dataset combo box is
#: set to GENERATED_FOR_QUADRATIC_MINIMIZATION (its default artificial-data widget values)
QUADRATIC = ('--dataset "generated_for_quadratic_minimization" --dataset-generation-spec '
             '"homogeneous:1,mu:1.0,L:2.0,samples_per_client:12,clients:10,variables:10" '
             '--loss "mse" --model "linear" --metric "loss"')
GUI_MODEL_PART = ('--dataset "cifar10_fl" --loss "CROSSENTROPY" --model "tv_resnet18" '
                  '--use-pretrained --train-last-layer --metric "top_1_acc"')


def _run(line: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    argv = shlex.split(line)
    assert argv[:2] == ["python", "run.py"]
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *argv[2:], "--rounds", "2"],
                          cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """tmp/work (the working folder), tmp/data with CIFAR-10 files, torch hub weights."""
    write_cifar10(tmp_path / "data")
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               hub / "resnet18-f37072fd.pth")
    (tmp_path / "work").mkdir()
    env = {**__import__("os").environ, "TORCH_HOME": str(tmp_path / "torch")}
    return tmp_path, env


@pytest.mark.parametrize("algorithm", ["FEDAVG"])
def test_gui_default_line_runs_for_two_rounds(tree, algorithm):
    """The default line with the algorithm combo box set to FEDAVG. As it is (GRADSKIP, whose
    p = 0.01 makes rounds of ~100 full-gradient ResNet-18 steps) it is accepted by the same
    checks (tests/unit/test_gradskip_q.py: the original's defaults without smoothness constants)
    and runs on the quadratic below."""
    root, env = tree
    proc = _run(GUI_DEFAULT.replace('"GRADSKIP"', f'"{algorithm}"'), root / "work", env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = load_result(root / "work" / "current.bin")
    cfg, m = result["config"], result["metrics"]
    assert result["status"] == "finished" and m["round"].tolist() == [0, 1, 2]
    assert (cfg["algorithm"], cfg["global_optimiser"], cfg["loss"], cfg["metric"],
            cfg["compute_type"], cfg["loglevel"]) == (algorithm.lower(), "sgd", "crossentropy",
                                                        "top1_acc", "fp64", "DEBUG")
    assert cfg["run_id"].startswith("1_job_id_") and result["environment"]["hostname"] == HOST
    assert result["final_params"].size == 512 * 10 + 10  # --train-last-layer: fc only
    assert np.isfinite(m["top1_acc"][[0, 2]]).all()
    assert np.isfinite(m["full_gradient_norm_train"][[0, 2]]).all()
    logs = list((root / "logs").glob("1_log_*.txt"))
    assert len(logs) == 1 and "end: finished after 2 rounds" in logs[0].read_text()
    for note in ("ident:5%", "--do-not-save-eval-checkpoints", "--allow-use-nv-tensorcores"):
        assert sum(note in line for line in proc.stderr.splitlines()) == 1, note


def test_gui_default_line_with_the_quadratic_dataset_runs(tree):
    """The default line (GRADSKIP included) with the dataset combo box set to the quadratic."""
    root, env = tree
    proc = _run(GUI_DEFAULT.replace(GUI_MODEL_PART, QUADRATIC), root / "work", env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = load_result(root / "work" / "current.bin")
    m = result["metrics"]
    assert result["config"]["algorithm"] == "gradskip"
    assert result["problem"]["num_clients"] == 10 and result["problem"]["dimension"] == 10
    assert m["loss"][2] < m["loss"][0] and np.isfinite(m["full_objective_value_train"][2])
