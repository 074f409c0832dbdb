"""TUTORIAL.md's "Add your own dataset" / "Add your own model" examples register and train.

They are quoted verbatim in TUTORIAL.md, and run in a fresh interpreter, so their registrations
stay out of this process.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["my_dataset.py", "my_model.py"])
def test_example_is_quoted_verbatim_in_the_tutorial(name):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "TUTORIAL.md").read_text(), re.DOTALL)
    assert (ROOT / "experiments" / "tutorial" / name).read_text() in blocks


def child(code: str, cwd: Path) -> dict:
    path = os.pathsep.join([str(ROOT), str(ROOT / "experiments" / "tutorial")])
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_my_dataset_registers_partitions_and_trains(tmp_path):
    out = child("""
import json, my_dataset
from fl_pytorch import Config
from fl_pytorch.registries import DATASETS
ds = DATASETS.get("tutorial_blobs")(Config(dataset="tutorial_blobs", num_clients=5))
print(json.dumps({"sizes": ds.client_sizes().tolist(), "test": len(ds.test_y),
                  "accuracy": my_dataset.main(rounds=20, out_dir=".")}))
""", tmp_path)
    assert out["sizes"] == [80.0] * 5 and out["test"] == 100  # IID by default
    assert out["accuracy"] >= 0.85  # four blobs 4 apart with unit noise: Bayes rate ~0.95


def test_my_model_registers_and_trains_on_digits(tmp_path):
    out = child("""
import json, my_model
from fl_pytorch import Config, ConfigError
from fl_pytorch.engine.simulation import build_simulation
try:
    build_simulation(Config(dataset="generated_for_quadratic_minimization",
                            model="tutorial_skip_mlp", loss="mse"))
    error = ""
except ConfigError as e:
    error = str(e)
dim = build_simulation(Config(model="tutorial_skip_mlp")).dim
print(json.dumps({"dim": dim, "error": error, "accuracy": my_model.main(rounds=20, out_dir=".")}))
""", tmp_path)
    assert out["dim"] == 64 * 64 + 64 + 64 * 10 + 10
    assert out["error"].startswith("--model: 'tutorial_skip_mlp' needs class labels")
    assert out["accuracy"] >= 0.85
