"""The FedNL problem's data options: uFedNL's equal split, the optional intercept, and f*.

* ``--partition equal``: a seeded permutation cut into equal clients, the leftover dropped;
* ``--no-intercept``: the LIBSVM features without the constant column;
* ``objective_gap_train``: f* equals an independent NumPy Newton solve, and needs a Hessian
  oracle (refused at setup otherwise).
"""

from __future__ import annotations

import numpy as np
import pytest

from fl_pytorch import Config, ConfigError
from fl_pytorch.core.solution import minimum
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.registries import DATASETS
from tests.convergence.fednl_problem import (
    FEATURES,
    LAMBDA,
    config,
    numpy_data,
    numpy_newton,
    write_libsvm,
)


def test_equal_split_drops_the_leftover_and_is_seeded(tmp_path):
    path = write_libsvm(tmp_path / "f.svm", clients=1, samples=53)
    load = lambda seed: DATASETS.get("libsvm")(Config(  # noqa: E731
        dataset="libsvm", data_path=str(path), num_clients=5, partition="equal",
        manual_init_seed=seed))
    a, b, c = load(1), load(1), load(2)
    assert [len(ix) for ix in a.client_indices] == [10] * 5 and a.x.shape[0] == 50
    dense = [d.x.to_dense().numpy() for d in (a, b, c)]  # LIBSVM samples are held sparse
    assert np.array_equal(dense[0], dense[1]) and not np.array_equal(dense[0], dense[2])
    rows = {tuple(r) for r in numpy_data(path)[0].tolist()}
    assert all(tuple(r) in rows for r in dense[0].tolist())  # every kept sample is a file sample


def test_no_intercept_leaves_out_the_constant_feature(tmp_path):
    path = write_libsvm(tmp_path / "f.svm")
    with_bias = build_simulation(config(path, "fednl"))
    without = build_simulation(config(path, "fednl", no_intercept=True))
    assert with_bias.dim == FEATURES + 1 and without.dim == FEATURES
    biased, plain = with_bias.dataset.x.to_dense(), without.dataset.x.to_dense()
    assert np.array_equal(biased[:, 1:].numpy(), plain.numpy()) and (biased[:, 0] == 1).all()


def test_f_star_is_the_newton_minimum(tmp_path):
    path = write_libsvm(tmp_path / "f.svm")
    a, b = numpy_data(path)
    x = numpy_newton(a, b, np.zeros(FEATURES + 1), 30)[-1]
    f_star = np.mean(np.logaddexp(0.0, -b * (a @ x))) + 0.5 * LAMBDA * x @ x
    assert minimum(build_simulation(config(path, "newton"))) == pytest.approx(f_star, rel=1e-14)


def test_objective_gap_needs_a_hessian_oracle(tmp_path):
    path = write_libsvm(tmp_path / "f.svm")
    with pytest.raises(ConfigError, match="--extra-track: objective_gap_train needs .*Hessian"):
        build_simulation(config(path, "gd", model="mlp", extra_track="objective_gap_train"))
