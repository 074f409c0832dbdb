"""Same seeds give identical result files; another runtime seed gives another sampling."""

import numpy as np

from fl_pytorch import load_result, run


def _run(quad_config, path, **changes):
    cfg = quad_config(algorithm="scaffold", client_sampling_type="uniform",
                      num_clients_per_round=3, client_compressor="randk:30%",
                      algorithm_options="internal_sgd:sgd", batch_size=8, rounds=15,
                      compute_type="fp32", **changes)
    run(cfg, out=path)
    return load_result(path)


def test_same_seed_identical_metrics_and_params(quad_config, tmp_path):
    a = _run(quad_config, tmp_path / "a.bin")
    b = _run(quad_config, tmp_path / "b.bin")
    for name, values in a["metrics"].items():
        if name != "wall_time":
            assert np.array_equal(values, b["metrics"][name], equal_nan=True), name
    assert np.array_equal(a["final_params"], b["final_params"])


def test_other_runtime_seed_changes_sampling_not_init(quad_config, tmp_path):
    a = _run(quad_config, tmp_path / "a.bin")
    b = _run(quad_config, tmp_path / "b.bin", manual_runtime_seed=7)
    assert not np.array_equal(a["final_params"], b["final_params"])
    assert a["metrics"]["loss"][0] == b["metrics"]["loss"][0]  # same x0 (init seed)
    c = _run(quad_config, tmp_path / "c.bin", manual_init_seed=7)
    assert a["metrics"]["loss"][0] != c["metrics"]["loss"][0]
