"""FedNL from the command line, as a new user runs it: a real LIBSVM file, ``run.sh`` arguments.

A run writes the FedNL metrics; bad input (a non-convex model, a loss or regularizer without a
Hessian oracle, a compressor that is not a matrix compressor, a vector uplink compressor,
option 1 without strong convexity) is one ``error:`` line naming what FedNL needs, exit 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from fl_pytorch import load_result
from fl_pytorch.cli import main
from tests.convergence.fednl_problem import write_libsvm

LOGISTIC = ["--model", "logistic_regression", "--loss", "logistic", "--global-regulizer",
            "cvx_l2norm", "--global-regulizer-alpha", "0.01", "--compute-type", "fp64",
            "--num-clients", "6", "--partition", "equal", "--client-sampling-type", "full"]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return write_libsvm(tmp_path_factory.mktemp("cli") / "tiny.svm")


def _argv(data_file, tmp_path, *extra):
    return ["--algorithm", "fednl", "--dataset", "libsvm", "--data-path", str(data_file),
            *LOGISTIC, "--rounds", "12", "--out", str(tmp_path / "r.bin"), "--quiet", *extra]


def test_a_fednl_run_from_the_command_line(data_file, tmp_path, capsys):
    code = main(_argv(data_file, tmp_path, "--algorithm-options", "compressor:topk:2d",
                      "--extra-track", "full_gradient_norm_train,objective_gap_train"))
    assert code == 0, capsys.readouterr().err
    metrics = load_result(tmp_path / "r.bin")["metrics"]
    assert metrics["full_gradient_norm_train"][-1] < 1e-10
    assert abs(metrics["objective_gap_train"][-1]) < 1e-14 < metrics["objective_gap_train"][1]
    assert np.isnan(metrics["hessian_error"][0]) and metrics["hessian_error"][-1] < 1e-5


def test_help_algorithm_lists_the_matrix_compressors(capsys):
    assert main(["--help-algorithm", "fednl"]) == 0
    out = capsys.readouterr().out
    for needle in ("compressor (default topk:8d)", "toplek:K", "randseqk:K", "rank:R",
                   "alpha (default 'theory')", "option (default '2')"):
        assert needle in out, needle


@pytest.mark.parametrize("changes,needles", [
    (["--model", "mlp"], ["--model", "'mlp'", "not a convex model", "fednl needs a convex model",
                          "--loss logistic"]),
    (["--loss", "mse", "--global-regulizer", "noncvx_robust_linear_regression"],
     ["--global-regulizer", "not convex", "Hessian oracle"]),
    (["--algorithm-options", "compressor:qsgd:4"],
     ["--algorithm-options", "'qsgd:4'", "vector compressor", "needs a matrix compressor",
      "toplek:K"]),
    (["--algorithm-options", "compressor:topk:0"], ["--algorithm-options", "'topk:0'",
                                                    "positive integer"]),
    (["--client-compressor", "topk:5"],
     ["--client-compressor", "'topk:5'", "matrix compressor", "compressor:SPEC",
      "valid choices: ident"]),
    (["--algorithm-options", "option:1", "--global-regulizer", "none"],
     ["--algorithm-options", "option 1", "mu > 0", "cvx_l2norm"]),
    (["--algorithm-options", "alpha:2"], ["--algorithm-options", "'2'", "theory"]),
])
def test_bad_input_names_what_fednl_needs(data_file, tmp_path, capsys, changes, needles):
    code = main(_argv(data_file, tmp_path) + changes)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and "\n" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)


def test_a_loss_without_hessian_oracle_is_refused(tmp_path, capsys):
    code = main(["--algorithm", "fednl", "--dataset", "digits", "--model",
                 "logistic_regression", "--loss", "crossentropy", "--rounds", "1", "--out",
                 str(tmp_path / "r.bin"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "--loss: 'crossentropy' has no Hessian oracle" in err
