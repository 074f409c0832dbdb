"""TUTORIAL.md's compressor and algorithm examples cannot rot: files, quoted verbatim, run here.

``experiments/tutorial/my_compressor.py`` and ``my_algorithm.py`` must each appear as a whole
```` ```python ```` block of TUTORIAL.md. Each then runs in a fresh interpreter (its
registrations stay out of this process) in a short mode; its numbers are checked against the
quadratic's closed-form minimizer and the compressor contract (worst case attained).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "experiments" / "tutorial" / f"my_{kind}.py" for kind in ("algorithm",
                                                                            "compressor")]


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "TUTORIAL.md").read_text(), re.DOTALL)


def _child(code: str, cwd: Path) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a JSON object."""
    path = os.pathsep.join([str(ROOT), str(ROOT / "experiments" / "tutorial")])
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_quoted_verbatim_in_the_tutorial(path):
    assert path.read_text() in _python_blocks()


def test_my_compressor_keeps_its_contract_and_works_with_ef21(tmp_path):
    out = _child("""
import json, torch, my_compressor
from fl_pytorch.compressors import parse_compressor
c, g = parse_compressor("scaled_sign"), torch.Generator().manual_seed(0)
rows = []
for d in (1, 7, 100):
    for x in [torch.randn(d, generator=g, dtype=torch.float64) for _ in range(20)] + \\
            [torch.eye(d, dtype=torch.float64)[0]]:
        out = c.compress(x, g)
        rows.append([d, float((out.value - x).norm() ** 2), float(x.norm() ** 2), out.bits,
                     c.alpha(d), c.unbiased])
print(json.dumps({"rows": rows, "distances": my_compressor.main(rounds=300, out_dir=".")}))
""", tmp_path)
    for d, err, norm, bits, alpha, unbiased in out["rows"]:
        assert alpha == 1 / d and not unbiased
        assert err <= (1 - alpha) * norm + 1e-12
        assert bits == 64 + d  # the fp64 scale and d sign bits
    worst = [r for r in out["rows"] if r[2] == 1.0 and r[0] > 1]  # x = e_1 attains 1 - 1/d
    assert worst and all(abs(r[1] - (1 - 1 / r[0])) < 1e-12 for r in worst)
    assert out["distances"]["ef21"] < 1e-6 < 1e-2 < out["distances"]["dcgd"]


def test_my_algorithm_fixes_client_drift_and_works_from_the_command_line(tmp_path):
    out = _child("""
import json, my_algorithm
from fl_pytorch import ConfigError
from fl_pytorch.cli import main
distances = my_algorithm.main(rounds=300, out_dir=".")
status = main(["--algorithm", "feddyn", "--algorithm-options", "alpha:1", "--rounds", "2",
               "--dataset", "generated_for_quadratic_minimization", "--model", "linear",
               "--loss", "mse", "--out", "cli.bin", "--quiet"])
bad = main(["--algorithm", "feddyn", "--algorithm-options", "alpha:-1", "--rounds", "2"])
print(json.dumps({"distances": distances, "status": status, "bad": bad}))
""", tmp_path)
    assert out["distances"]["feddyn"] < 1e-6 < 1e-2 < out["distances"]["fedavg"]
    assert out["status"] == 0 and (tmp_path / "cli.bin").is_file()
    assert out["bad"] == 2  # a ConfigError: one line, exit status 2
