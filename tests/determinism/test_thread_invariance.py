"""Bit-identical result files whatever the number of local-training threads and devices.

A CNN (``small_cnn`` on the offline ``digits`` data) trained with minibatch SGD and rand-k
compressed uplinks, run sequentially (the reference) and with 1, 2 and 4 worker threads, two CPU
pools, asynchronous evaluation and saving, and the automatic choice: the metrics arrays (all but
wall_time, byte for byte) and the final parameters must be identical.
"""

import numpy as np
import pytest
import torch

from fl_pytorch import Config, load_result, run

CNN = dict(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss",
           algorithm="fedavg", client_sampling_type="uniform", num_clients_per_round=4,
           client_compressor="randk:10%", algorithm_options="internal_sgd:sgd", batch_size=16,
           number_of_local_iters=3, run_local_steps=True, local_lr=0.1, rounds=6,
           eval_every=2, quiet=True)


def _bytes(result):
    metrics = {m: v.tobytes() for m, v in result["metrics"].items() if m != "wall_time"}
    clients = {k: v.tobytes() for k, v in result["clients"].items()}  # per-client totals
    return metrics, clients, result["final_params"].tobytes()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "seq.bin"
    run(Config(**CNN, threadpool_for_local_opt="0"), out=path)
    return load_result(path)


def test_the_reference_run_learns(reference):
    loss = reference["metrics"]["loss"][::2]  # evaluated every 2 rounds
    assert reference["status"] == "finished" and np.isfinite(loss).all()
    assert loss[-1] < loss[0]


@pytest.mark.parametrize("changes", [
    dict(threadpool_for_local_opt="1"),
    dict(threadpool_for_local_opt="2"),
    dict(threadpool_for_local_opt="4"),
    dict(threadpool_for_local_opt="2", gpu="-1,-1"),
    dict(threadpool_for_local_opt="2", eval_async_threads=2, save_async_threads=2,
         checkpoint_every=1),
    dict(threadpool_for_local_opt="auto"),
], ids=["1-thread", "2-threads", "4-threads", "2-cpu-pools", "async-eval-save", "auto"])
def test_result_file_is_identical_to_the_sequential_one(reference, tmp_path, monkeypatch,
                                                        changes):
    monkeypatch.chdir(tmp_path)  # checkpoints/ lands here
    path = tmp_path / "r.bin"
    run(Config(**CNN, **changes), out=path)
    result = load_result(path)
    assert result["status"] == "finished"
    assert _bytes(result) == _bytes(reference)
    if "checkpoint_every" in changes:
        assert (tmp_path / "checkpoints" / "r.ckpt").is_file()


def test_the_global_torch_generator_plays_no_part(reference, tmp_path):
    torch.manual_seed(12345)  # every random draw comes from the per-(seed, round, client) streams
    path = tmp_path / "r.bin"
    run(Config(**CNN, threadpool_for_local_opt="2"), out=path)
    assert _bytes(load_result(path)) == _bytes(reference)
