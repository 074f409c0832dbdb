"""The worked example of docs/heterogeneity.md runs (small mode); the engine's simulated times
equal the system model's, recomputed from each run's bits alone."""

import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _example():
    path = ROOT / "experiments" / "heterogeneity" / "compression_time.py"
    spec = importlib.util.spec_from_file_location("compression_time", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_mode_runs_and_compression_and_deadlines_shorten_the_simulated_round(tmp_path,
                                                                                   capsys):
    example = _example()
    example.main(["--small", "--out-dir", str(tmp_path / "runs"),
                  "--figure", str(tmp_path / "fig.png")])
    out = capsys.readouterr().out
    assert "ident,        no deadline: uplink 438592 bits per client and round" in out  # 32 x d
    assert "randk:10%,        no deadline: uplink 63066 bits per client and round" in out
    assert out.count("2.0 late") == 2
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    free, timed = example.run_all(1, 3, tmp_path / "runs")  # done already: loaded, not rerun
    model = example.system_of(free[0])
    for result in free:
        np.testing.assert_allclose(result["metrics"]["sim_time_cum"],
                                   example.simulated_times(result, model), rtol=1e-12)
    ident, randk = (r["metrics"]["sim_time"][1] for r in free)
    assert randk < ident / 3  # the uplink dominates these rounds
    for result, before in zip(timed, (ident, randk)):
        m = result["metrics"]
        assert (m["clients_late"][1:] == 2).all() and m["sim_time"][1] < before
        np.testing.assert_array_equal(m["sim_time"][1:], result["config"]["round_deadline"])
