"""Every algorithm gives, bit for bit, the results recorded before the last refactor of the
engine and the hook contract (tests/determinism/reference_runs.py)."""

import json

import pytest

from fl_pytorch import run

from .reference_runs import DIGESTS, configs, digest

RECORDED = json.loads(DIGESTS.read_text())


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_results_are_bit_identical_to_the_recorded_ones(key, tmp_path):
    result = run(configs()[key], out=tmp_path / "r.bin")
    assert result["status"] == "finished", result["error"]
    now = digest(result)
    changed = [k for k in RECORDED[key] if now.get(k) != RECORDED[key][k]]
    assert not changed, f"{key}: changed {changed}"
