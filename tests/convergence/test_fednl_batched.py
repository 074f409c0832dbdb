"""The batched clients of the FedNL family equal the per-client hooks (the reference).

Every algorithm and compressor runs twice on the same problem: ``--threadpool-for-local-opt 0``
(the sequential reference, one client at a time through the engine's hooks) and ``auto`` (all
clients in one batched call, ``execution/batched.py``), with the batched oracles on the dense
and on the sparse backend. Bits and oracle counts must be identical, the iterates and metrics
equal up to floating-point summation order. A checkpoint taken from the batched clients resumes
into the same run.
"""

from __future__ import annotations

import numpy as np
import pytest

from fl_pytorch import run
from fl_pytorch.core import client_batch

from .fednl_problem import config, write_libsvm

CASES = [
    ("fednl", "compressor:topk:2d", {}),
    ("fednl", "compressor:toplek:2d,option:1", {}),
    ("fednl", "compressor:randk:10%,init:zero", {}),
    ("fednl", "compressor:randseqk:1d", {}),
    ("fednl", "compressor:natural", {}),
    ("fednl", "compressor:rank:2", {}),
    ("fednl-ls", "compressor:topk:1d", {}),
    ("fednl-pp", "compressor:topk:2d", dict(client_sampling_type="uniform",
                                            num_clients_per_round=3)),
    ("fednl-pp", "compressor:randk:1d,init:zero", dict(client_sampling_type="poisson",
                                                       client_sampling_poisson=0.5)),
    ("newton", "", {}),
]
MEASURED = {"wall_time", "gpu_memory_mb"}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return write_libsvm(tmp_path_factory.mktemp("batched") / "sparse.svm", features=30,
                        nonzeros=3)


@pytest.mark.parametrize("backend", ["dense", "sparse"])
@pytest.mark.parametrize("algorithm,options,changes", CASES,
                         ids=[f"{a}-{o or 'exact'}" for a, o, _ in CASES])
def test_batched_clients_equal_the_per_client_hooks(data_file, tmp_path, monkeypatch, backend,
                                                   algorithm, options, changes):
    monkeypatch.setattr(client_batch, "DENSE_PER_PAIR", 0.0 if backend == "sparse" else 1e18)
    cfg = config(data_file, algorithm, options, rounds=6, **changes)
    batched = run(cfg.replace(threadpool_for_local_opt="auto"), out=tmp_path / "b.bin")
    reference = run(cfg.replace(threadpool_for_local_opt="0"), out=tmp_path / "r.bin")
    assert batched["status"] == reference["status"] == "finished", batched["error"]
    used = "dense" if "rank:" in options else backend  # rank:R needs all D entries
    assert batched["environment"]["executor"] == f"batched ({used} oracles)"
    assert reference["environment"]["executor"] == "sequential"
    for key, values in reference["clients"].items():
        assert np.array_equal(batched["clients"][key], values), key
    for key, values in reference["metrics"].items():
        if key in MEASURED:
            continue
        if key.startswith(("bits", "oracle", "clients", "round")):
            assert np.array_equal(batched["metrics"][key], values), key
        else:
            np.testing.assert_allclose(batched["metrics"][key], values, rtol=1e-9, atol=1e-13,
                                       err_msg=key)
    np.testing.assert_allclose(batched["final_params"], reference["final_params"], rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize("algorithm", ["fednl", "fednl-pp"])
def test_a_checkpoint_of_the_batched_clients_resumes_the_same_run(data_file, tmp_path,
                                                                monkeypatch, algorithm):
    monkeypatch.chdir(tmp_path)
    sampling = {} if algorithm == "fednl" else dict(client_sampling_type="uniform",
                                                     num_clients_per_round=3)
    cfg = config(data_file, algorithm, "compressor:topk:2d", rounds=6, **sampling)
    whole = run(cfg, out=tmp_path / "whole.bin")
    run(cfg.replace(rounds=3, checkpoint_every=3), out=tmp_path / "half.bin")
    resumed = run(cfg.replace(resume_from=str(tmp_path / "checkpoints" / "half.ckpt")),
                  out=tmp_path / "half.bin")
    assert resumed["status"] == "finished", resumed["error"]
    assert np.array_equal(resumed["final_params"], whole["final_params"])
    assert np.array_equal(resumed["metrics"]["hessian_error"], whole["metrics"]["hessian_error"],
                          equal_nan=True)
