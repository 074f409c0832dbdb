"""The original tool's section 4.1 command line runs unchanged and writes a result file."""

import subprocess
from pathlib import Path

import numpy as np

from fl_pytorch import load_result

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = ("--rounds 100 --num-clients-per-round 10 --global-lr 0.5 --local-lr 1.0 --dataset "
            "generated_for_quadratic_minimization --dataset-generation-spec "
            "clients:10,samples_per_client:100,variables:20,homogeneous:0,l:2,mu:1 --model "
            "linear --loss mse --metric loss --algorithm scaffold --algorithm-options "
            "internal_sgd:full-gradient --client-compressor randk:40% --gpu -1 --eval-every 10 "
            "--out run.bin -li 1 --run-local-steps")


def test_original_line_runs_and_results_tools_read_it(tmp_path):
    proc = subprocess.run([str(ROOT / "run.sh"), *ORIGINAL.split()], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "finished: 100 rounds" in proc.stdout
    result = load_result(tmp_path / "run.bin")
    m = result["metrics"]
    assert result["status"] == "finished" and result["config"]["algorithm"] == "scaffold"
    assert m["round"].tolist() == list(range(101))
    assert np.isfinite(m["loss"][::10]).all() and np.isnan(m["loss"][1:10]).all()
    assert np.isfinite(m["direction_norm"][1:]).all()
    # rand-k 40% of d = 20: k = 8 values (32 bits) + 8 indices (5 bits); SCAFFOLD sends 2 vectors
    assert (m["bits_up_per_client"][1:] == 2 * 8 * (32 + 5)).all()
    assert m["bits_up_cum"][-1] == 100 * 10 * 2 * 8 * 37
    assert (m["oracle_grad_full"][1:] == 10 * np.arange(1, 101)).all()
    show = subprocess.run([str(ROOT / "run.sh"), "results", "show", "run.bin"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert show.returncode == 0 and "scaffold" in show.stdout
