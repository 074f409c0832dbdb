"""A master and two real worker processes on 127.0.0.1 give the single-process results.

Per-client messages (the default) are bit-identical: the workers run the engine's own
``run_client`` (or the vectorized executor, when the run uses it) and the master aggregates in
client-id order with the engine's ``weighted_mean``.
``--remote-messages summed`` adds each worker's pre-weighted sum instead: equal up to float
re-association, checked against a bound.
"""

import numpy as np
import pytest

from fl_pytorch import Config, run

from .conftest import quadratic, same_bits

CNN = dict(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss",
           algorithm="fedavg", client_sampling_type="uniform", num_clients_per_round=4,
           client_compressor="randk:10%", algorithm_options="internal_sgd:sgd", batch_size=16,
           number_of_local_iters=3, run_local_steps=True, local_lr=0.1, rounds=6, eval_every=2,
           threadpool_for_local_opt="0", quiet=True)
CASES = {
    # client control variates (state on the workers), a broadcast tensor, compressed both ways
    "quadratic-scaffold": quadratic(algorithm="scaffold", batch_size=20,
                                    client_compressor="natural", server_compressor="topk:50%",
                                    global_optimiser="momentum", global_momentum=0.5,
                                    global_lr=0.5),
    # a JSON value in the broadcast (MARINA's coin) and a client state of another kind (each
    # client's gradient of the previous round, reused with one local step and full gradients)
    "quadratic-marina": quadratic(algorithm="marina", client_sampling_type="full",
                                  algorithm_options="p:0.3,internal_sgd:full-gradient",
                                  client_compressor="randk:30%", global_lr=0.1,
                                  number_of_local_iters=1),
    # the vectorized executor on the workers: each one batches its share of the round, and the
    # master adds the rows in client-id order as the local vectorized run does
    "quadratic-scaffold-vectorized": quadratic(
        algorithm="scaffold", dataset_generation_spec="clients:40,samples_per_client:10,"
        "variables:8,homogeneous:0,l:2,mu:1", num_clients_per_round=12, algorithm_options="",
        batch_size=32, number_of_local_iters=2, client_compressor="randk:30%", global_lr=0.5,
        threadpool_for_local_opt="vectorized"),
    "cnn-fedavg": Config(**CNN),
    # batch-norm statistics travel both ways and are averaged like the messages
    "resnet20-batchnorm": Config(**{**CNN, "model": "resnet20", "rounds": 3, "eval_every": 3,
                                    "client_compressor": "ident"}),
}


@pytest.fixture(scope="module")
def local_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local")
    return {name: run(config, out=folder / f"{name}.bin") for name, config in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_remote_run_is_bit_identical_to_the_local_run(name, local_results, remote, tmp_path):
    local = local_results[name]
    result = run(CASES[name].replace(**remote), out=tmp_path / "remote.bin")
    assert result["status"] == "finished", result["error"]
    assert result["environment"]["executor"].startswith("remote: 2 worker(s)")
    if name.endswith("vectorized"):  # the workers really batched their clients
        assert result["environment"]["executor"].count("vectorized: clients") == 2
    assert local["status"] == "finished"
    assert same_bits(result, local)
    progress = local["metrics"].get("dist_to_solution", local["metrics"]["loss"])
    assert progress[np.isfinite(progress)][-1] < progress[0]  # the comparison is not vacuous


@pytest.mark.parametrize("name,bound", [("quadratic-marina", 1e-12), ("cnn-fedavg", 1e-6)])
def test_summed_messages_match_up_to_float_summation_order(name, bound, local_results, remote,
                                                           tmp_path):
    local = local_results[name]
    result = run(CASES[name].replace(**remote, remote_messages="summed"),
                 out=tmp_path / "summed.bin")
    assert result["status"] == "finished", result["error"]
    assert "summed messages" in result["environment"]["executor"]
    scale = np.abs(local["final_params"]).max()
    assert np.abs(result["final_params"] - local["final_params"]).max() <= bound * scale
    for metric in ("loss", "direction_norm"):
        a, b = local["metrics"][metric], result["metrics"][metric]
        assert np.allclose(a, b, rtol=bound, atol=0, equal_nan=True), metric
    assert (result["metrics"]["bits_up_cum"] == local["metrics"]["bits_up_cum"]).all()
