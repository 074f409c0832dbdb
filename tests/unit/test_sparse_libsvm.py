"""LIBSVM data held sparse: a problem with a million features trains within 2 GB; sparse rows
behave like the dense matrix they stand for; models that need dense samples get a copy."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from fl_pytorch import Config, ConfigError, run
from fl_pytorch.data.sparse import SparseRows, matvec, rmatvec
from fl_pytorch.engine.simulation import build_simulation

ROOT = Path(__file__).resolve().parents[2]
FEATURES = 1_000_000
TRAIN_ONE_ROUND = """
import sys
import psutil
from fl_pytorch import Config, run

def peak_rss():  # VmHWM: this process's own peak (ru_maxrss keeps the parent's across exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

before = psutil.Process().memory_info().rss
result = run(Config(dataset="libsvm", data_path=sys.argv[1], offline=True, num_clients=20,
                    num_clients_per_round=10, model="logistic_regression", loss="logistic",
                    algorithm="scaffold", client_compressor="randk:1%", compute_type="fp64",
                    algorithm_options="internal_sgd:sgd-nice,tau:8", run_local_steps=True,
                    number_of_local_iters=2, rounds=1, quiet=True), out=sys.argv[2])
assert result["status"] == "finished", result["error"]
assert result["final_params"].shape == (FEATURES + 1,)
print(peak_rss() - before)
""".replace("FEATURES", str(FEATURES))


def write_svm(path: Path, samples: int, features: int, per_row: int, seed: int = 0) -> None:
    """A LIBSVM text file whose last row uses the last feature (so the file has all of them)."""
    rng = np.random.default_rng(seed)
    lines = []
    for r in range(samples):
        cols = np.unique(rng.integers(1, features, per_row))
        if r == samples - 1:
            cols[-1] = features
        values = " ".join(f"{c}:{v:.4f}" for c, v in zip(cols, rng.normal(size=len(cols))))
        lines.append(f"{rng.choice(['+1', '-1'])} {values}")
    path.write_text("\n".join(lines) + "\n")


def test_a_million_features_train_a_round_within_2_gb(tmp_path):
    """Dense, these 1000 samples would take 8 GB; the run's peak memory grows by less than 2 GB
    (measured in a fresh process: its peak resident size, VmHWM, minus the size before loading;
    ru_maxrss would be the pytest parent's when the child was started by vfork + exec)."""
    write_svm(tmp_path / "wide.svm", 1000, FEATURES, 40)
    out = subprocess.run([sys.executable, "-c", TRAIN_ONE_ROUND, str(tmp_path / "wide.svm"),
                          str(tmp_path / "r.bin")], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    growth = int(out.stdout.strip().splitlines()[-1])
    print(f"peak memory growth: {growth / 2**20:.0f} MiB")  # shown with pytest -s
    assert growth < 2 * 2**30, f"peak memory grew by {growth / 2**30:.2f} GiB"


def test_sparse_rows_select_slice_and_multiply_like_the_dense_matrix():
    g = torch.Generator().manual_seed(3)
    dense = torch.randn(9, 7, generator=g, dtype=torch.float64)
    dense[dense.abs() < 0.8] = 0.0
    dense[4] = 0.0  # an empty row
    rows = SparseRows.from_scipy(__import__("scipy.sparse").sparse.csr_matrix(dense.numpy()))
    assert torch.equal(rows.to_dense(), dense)
    assert torch.equal(rows[2:6].to_dense(), dense[2:6])
    assert torch.equal(rows[torch.tensor([8, 4, 0, 0])].to_dense(), dense[[8, 4, 0, 0]])
    assert torch.equal(rows[1:8:3].to_dense(), dense[1:8:3])
    x, r = torch.randn(7, dtype=torch.float64), torch.randn(9, dtype=torch.float64)
    assert torch.allclose(matvec(rows, x), dense @ x, atol=1e-14)
    assert torch.allclose(rmatvec(rows, r), dense.T @ r, atol=1e-14)
    assert rows.to(dtype=torch.float32).values.dtype == torch.float32


def test_a_model_that_needs_dense_samples_gets_a_copy_or_a_clear_refusal(tmp_path):
    write_svm(tmp_path / "small.svm", 40, 12, 4)
    options = dict(dataset="libsvm", data_path=str(tmp_path / "small.svm"), offline=True,
                   num_clients=4, num_clients_per_round=2, loss="logistic", quiet=True,
                   rounds=2)
    sim = build_simulation(Config(**options, model="logistic_regression"))
    assert isinstance(sim.dataset.x, SparseRows)  # the linear closed form takes them sparse
    mlp = build_simulation(Config(**options, model="mlp"))
    assert torch.equal(mlp.dataset.x, sim.dataset.x.to_dense())  # the same samples, dense
    assert run(Config(**options, model="mlp"), out=tmp_path / "mlp.bin")["status"] == "finished"
    write_svm(tmp_path / "wide.svm", 4000, 10**8, 3)  # dense: 4000 x 1e8 floats = 3 TB
    with pytest.raises(ConfigError, match=r"--model: 'mlp' needs the samples of dataset "
                       r"'libsvm' dense: .* more than this machine's memory"):
        build_simulation(Config(**{**options, "data_path": str(tmp_path / "wide.svm")},
                                model="mlp"))
