"""A stopped or failed run keeps every completed round in its result file (signals:
test_signals.py)."""

import dataclasses

import numpy as np

from fl_pytorch import Callback, load_result, prepare


class StopAfter(Callback):
    def __init__(self, rounds):
        self.rounds, self.handle = rounds, None

    def after_round(self, info, row):
        if row["round"] == self.rounds:
            self.handle.stop()


def test_stop_request_finishes_the_round_and_saves(quad_config, tmp_path):
    stopper = StopAfter(4)
    handle = prepare(quad_config(rounds=50), [stopper], out=tmp_path / "r.bin")
    stopper.handle = handle
    result = handle.run()
    saved = load_result(tmp_path / "r.bin")
    assert result["status"] == saved["status"] == "stopped"
    assert saved["metrics"]["round"].tolist() == [0, 1, 2, 3, 4]
    assert np.isfinite(saved["metrics"]["loss"]).all()


def test_failure_in_a_hook_is_saved_and_named(quad_config, tmp_path):
    def broken_gradient(ctx, y, work):
        if ctx.round == 2 and ctx.client_id == 3:
            raise FloatingPointError("boom")
        return ctx.grad(y), work

    handle = prepare(quad_config(rounds=5), out=tmp_path / "r.bin")
    sim = handle.engine.sim
    sim.algorithm = dataclasses.replace(sim.algorithm, local_gradient=broken_gradient)
    result = handle.run()
    saved = load_result(tmp_path / "r.bin")
    assert saved["status"] == result["status"] == "failed"
    assert "round 2, client 3, hook LOCAL_GRADIENT" in saved["error"]
    assert "FloatingPointError: boom" in saved["error"]
    assert saved["metrics"]["round"].tolist() == [0, 1, 2]
