"""The worked example of docs/heterogeneity.md runs (small mode) and times rounds by the bits."""

import importlib.util
from pathlib import Path

from fl_pytorch.heterogeneity import SystemModel, build_profile

ROOT = Path(__file__).resolve().parents[2]


def _example():
    path = ROOT / "experiments" / "heterogeneity" / "compression_time.py"
    spec = importlib.util.spec_from_file_location("compression_time", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_mode_runs_and_compression_shortens_the_simulated_round(tmp_path, capsys):
    example = _example()
    example.main(["--small", "--out-dir", str(tmp_path / "runs"),
                  "--figure", str(tmp_path / "fig.png")])
    out = capsys.readouterr().out
    assert "ident: uplink 438592 bits per client and round" in out  # 32 bits x 13,706
    assert "randk:10%: uplink 63066 bits per client and round" in out
    assert (tmp_path / "fig.png").read_bytes()[:4] == b"\x89PNG"
    results = example.run_sweep(1, 3, tmp_path / "runs")  # done already: loaded, not rerun
    model = SystemModel(build_profile(example.PROFILE, 10, example.PROFILE_SEED))
    ident, randk = (example.simulated_times(r, model) for r in results)
    assert len(ident) == 4 and ident[0] == 0.0
    per_round = [ident[1], randk[1]]
    assert per_round[1] < per_round[0] / 3  # the uplink dominates these rounds
