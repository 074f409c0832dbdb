"""The vectorized executor gives the sequential executor's results (float64, 1e-12).

Every registered algorithm that can be vectorized, with every registered compressor it accepts
(and two compositions), on the quadratic problem and on logistic regression over a LIBSVM file
(clients of unequal sizes, so minibatches are padded and clients take different numbers of
steps in epoch mode); with client sampling, client states and minibatch local steps. The
counters (oracle calls and bits, per client) must be equal, the models and metrics equal to
1e-12. The list of algorithms that cannot be vectorized is checked too (GradSkip, and Newton
and the FedNL family, which have their own batched executor).
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from fl_pytorch import Config, run
from fl_pytorch.compressors import COMPRESSORS, parse_compressor
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.registries import ALGORITHMS
from fl_pytorch.vectorized import vectorization_obstacle

EXTRA = {"randk": "randk:2", "bernulli": "bernulli:0.5", "bernoulli": "bernoulli:0.7",
         "std.dithering": "std.dithering:3", "nat.dithering": "nat.dithering:3:2",
         "qsgd": "qsgd:2", "topk": "topk:2", "rank_k": "rank_k:1"}
SPECS = [EXTRA.get(name, name) for name in COMPRESSORS.names()] + [
    "randk:3+natural", "bernulli:0.5+qsgd:2"]
QUADRATIC = dict(dataset="generated_for_quadratic_minimization", model="linear", loss="mse",
                 dataset_generation_spec="clients:6,samples_per_client:8,variables:5,"
                                         "homogeneous:0,l:2,mu:1")
BUILT_IN = [n for n in ALGORITHMS.names() if not ALGORITHMS.get(n).paper.startswith("test")]


@pytest.fixture(scope="module")
def logistic(tmp_path_factory):
    """Options of a logistic-regression problem on a LIBSVM file (6 clients of 6 or 7)."""
    rng = np.random.default_rng(4)
    a = rng.normal(size=(40, 6)) * (rng.random((40, 6)) < 0.7)
    b = np.where(a @ rng.normal(size=6) > 0, 1, -1)
    path = tmp_path_factory.mktemp("svm") / "train.svm"
    dump_svmlight_file(a, b, str(path), zero_based=False)
    return dict(dataset="libsvm", data_path=str(path), offline=True, num_clients=6,
                model="logistic_regression", loss="logistic")


def accepted(algorithm) -> list[str]:
    """The compressors of SPECS that the algorithm takes."""
    if algorithm.compressor_kind == "none":
        return ["ident"]
    if algorithm.compressor_kind == "unbiased":
        return [s for s in SPECS if parse_compressor(s).unbiased]
    return SPECS


def config(problem: dict, algorithm, compressor: str, executor: str, **changes) -> Config:
    sampling = dict(client_sampling_type="full") if algorithm.full_participation else \
        dict(client_sampling_type="uniform", num_clients_per_round=3)
    if algorithm.name == "ef21-pp":
        sampling = dict(client_sampling_type="poisson", client_sampling_poisson=0.5)
    steps = dict(algorithm_options="internal_sgd:sgd-nice,tau:3", number_of_local_iters=2) \
        if algorithm.local_steps and not algorithm.draws_round_length else \
        dict(algorithm_options="internal_sgd:sgd", batch_size=3)
    base = dict(algorithm=algorithm.name, client_compressor=compressor, compute_type="fp64",
                rounds=3, run_local_steps=True, global_lr=0.2, local_lr=0.1, metric="loss",
                manual_runtime_seed=21, threadpool_for_local_opt=executor, quiet=True,
                **problem, **sampling, **steps)
    base.update(changes)
    return Config(**base)


def assert_same(a: dict, b: dict, where: str) -> None:
    assert a["status"] == b["status"] == "finished", (where, a["error"], b["error"])
    for key in a["clients"]:
        assert np.array_equal(a["clients"][key], b["clients"][key]), (where, key)
    np.testing.assert_allclose(b["final_params"], a["final_params"], rtol=0, atol=1e-12,
                               err_msg=where)
    for key, values in a["metrics"].items():
        if key not in ("wall_time", "gpu_memory_mb"):
            np.testing.assert_allclose(b["metrics"][key], values, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{where}: {key}")


#: GradSkip's coins decide per client in Python; Newton and the FedNL family send Hessians and
#: have their own batched executor (engine/batched_executor.py), which auto takes
NOT_VECTORIZED = ["fednl", "fednl-ls", "fednl-pp", "gradskip", "newton"]


def test_only_gradskip_and_the_second_order_methods_cannot_be_vectorized():
    obstacles = {n: vectorization_obstacle(build_simulation(config(
        QUADRATIC, ALGORITHMS.get(n), "ident", "0"))) for n in BUILT_IN}
    assert sorted(n for n, why in obstacles.items() if why is not None) == NOT_VECTORIZED
    for name in NOT_VECTORIZED:
        assert ("its own executor" in obstacles[name]) == (name != "gradskip")


@pytest.mark.parametrize("name", [n for n in BUILT_IN if n not in NOT_VECTORIZED])
@pytest.mark.parametrize("problem", ["quadratic", "logistic"])
def test_vectorized_equals_sequential(name, problem, logistic, tmp_path):
    options = QUADRATIC if problem == "quadratic" else logistic
    algorithm = ALGORITHMS.get(name)
    for spec in accepted(algorithm):
        runs = [run(config(options, algorithm, spec, ex), out=tmp_path / f"{ex}.bin")
                for ex in ("0", "vectorized")]
        assert "vectorized" in runs[1]["environment"]["executor"]
        assert_same(*runs, f"{name} {spec} on {problem}")


@pytest.mark.parametrize("changes", [
    dict(run_local_steps=False, number_of_local_iters=1, batch_size=4,
         algorithm_options="internal_sgd:sgd"),  # epochs: 2 or 3 steps, the last one shorter
    dict(algorithm_options="internal_sgd:iterated-minibatch,tau:2,reshuffle:once_per_client"),
    dict(local_optimiser="adam", algorithm_options="internal_sgd:sgd-us"),
    dict(local_optimiser="sgd", local_momentum=0.9, local_weight_decay=0.01,
         global_regulizer="cvx_l2norm", global_regulizer_alpha=0.1),
    dict(client_weights="data-size", server_compressor="topk:2"),
], ids=["epochs", "stateful-reshuffle", "adam", "momentum-l2", "weights-downlink"])
def test_vectorized_equals_sequential_on_local_training_options(changes, logistic, tmp_path):
    algorithm = ALGORITHMS.get("scaffold")
    runs = [run(config(logistic, algorithm, "randk:2", ex, rounds=4, **changes),
                out=tmp_path / f"{ex}.bin") for ex in ("0", "vectorized")]
    assert_same(*runs, str(changes))
