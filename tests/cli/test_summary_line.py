"""The last line of a run names the metric that tells runs apart (not always the loss)."""

import math

import pytest

from fl_pytorch import load_result
from fl_pytorch.cli import main

QUADRATIC = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec",
             "clients:4,samples_per_client:10,variables:5,homogeneous:0,l:2,mu:1",
             "--model", "linear", "--loss", "mse", "--compute-type", "fp64",
             "--client-sampling-type", "full", "--rounds", "3", "--loglevel", "WARNING"]


@pytest.mark.parametrize("extra, metric", [
    ([], "dist_to_solution"),  # default --metric top1_acc is not defined for regression
    (["--metric", "loss"], "loss"),  # an explicit choice is kept
])
def test_summary_line_shows_the_tracked_metric(capsys, tmp_path, extra, metric):
    out = tmp_path / "r.bin"
    assert main([*QUADRATIC, *extra, "--out", str(out)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    values = load_result(out)["metrics"][metric]
    final = [v for v in values if not math.isnan(v)][-1]
    assert f", {metric} = {final:.6g};" in last, last
