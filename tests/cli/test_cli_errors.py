"""Bad input: one clear 'error:' line naming option, value and valid choices; exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

from fl_pytorch.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv,needles", [
    (["--algorithm", "fedavgg"], ["--algorithm", "'fedavgg'", "did you mean 'fedavg'",
                                  "scaffold"]),
    (["--client-compressor", "randk"], ["--client-compressor", "'randk'", "usage"]),
    (["--client-compressor", "zip:3"], ["--client-compressor", "'zip'", "valid:", "randk"]),
    (["--client-compressor", "randk:0"], ["--client-compressor", "'randk:0'"]),
    (["--global-optimiser", "lbfgs"], ["--global-optimiser", "'lbfgs'", "adam"]),
    (["--local-lr", "-0.1"], ["--local-lr", "-0.1", "must be > 0"]),
    (["--global-lr", "abc"], ["--global-lr", "'abc'", "float"]),
    (["--num-clients-per-round", "11"], ["--num-clients-per-round", "11",
                                         "only 10 clients"]),
    (["--algorithm-options", "internal_sgd:adam"], ["--algorithm-options", "'adam'",
                                                    "full-gradient"]),
    (["--algorithm", "marina", "--algorithm-options", "p:1.5"],
     ["--algorithm-options", "'1.5'", "key 'p'", "p must be in (0, 1]"]),
    (["--algorithm-options", "colour:red"], ["--algorithm-options", "'colour'", "valid keys"]),
    (["--dataset", "cifar11"], ["--dataset", "'cifar11'", "generated_for_quadratic"]),
    (["--gpu", "7"], ["--gpu", "GPU 7 is not available"]),
    (["--no-such-flag"], ["unrecognized arguments", "--no-such-flag"]),
])
def test_bad_input_one_clear_line(capsys, tmp_path, argv, needles):
    code = main(argv + ["--out", str(tmp_path / "x.bin"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error: ") and "\n" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not (tmp_path / "x.bin").exists()


def test_run_sh_exits_2_without_traceback():
    proc = subprocess.run([str(ROOT / "run.sh"), "--algorithm", "nope"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: --algorithm: invalid value 'nope'; valid choices:")


def test_help_lists_groups_and_original_flags():
    proc = subprocess.run([sys.executable, "-m", "fl_pytorch", "--help"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0
    for text in ["Server optimizer:", "Local optimizer:", "Model and data:", "System setup:",
                 "-li NUMBER_OF_LOCAL_ITERS", "--client-compressor", "--run-local-steps"]:
        assert text in proc.stdout, text
