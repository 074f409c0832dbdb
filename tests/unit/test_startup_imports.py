"""A run imports only what it uses: no plotting, GUI, scikit-learn, SciPy, HDF5, psutil or the
remote machinery for a one-round run on the quadratic problem (start-up near bare torch;
experiments/bench/bench_startup.py measures it)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "PyQt5", "sklearn", "scipy", "h5py", "psutil", "torchvision", "pandas",
         "gui", "fl_pytorch.distributed", "fl_pytorch.results.plot", "fl_pytorch.results.cli")
RUN = """
import sys
from fl_pytorch.cli import main
code = main(["--dataset", "generated_for_quadratic_minimization", "--model", "linear",
             "--loss", "mse", "--rounds", "1", "--quiet", "--out", sys.argv[1]])
assert code == 0
print(" ".join(sorted(sys.modules)))
"""


def test_a_quadratic_run_imports_nothing_heavy(tmp_path):
    out = subprocess.run([sys.executable, "-c", RUN, str(tmp_path / "r.bin")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = out.stdout.split()
    assert "fl_pytorch.engine.engine" in loaded and "torch" in loaded  # it did run
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert not heavy, heavy
