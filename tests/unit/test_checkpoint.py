"""Checkpoint files: complete round trip, safe loading, config checks, newest write wins."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from fl_pytorch import ConfigError
from fl_pytorch.core.client_state import ClientStateStore
from fl_pytorch.engine.checkpoint import (
    Checkpointer,
    capture,
    checkpoint_path,
    load_checkpoint,
    read_checkpoint,
    restore,
    write_checkpoint,
)


def _state(seed):
    """A run state with every kind of part the engine checkpoints, filled from ``seed``."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(6, generator=g, dtype=torch.float64)
    opt = torch.optim.Adam([x], lr=0.1)
    x.grad = torch.randn(6, generator=g, dtype=torch.float64)
    opt.step()
    store = ClientStateStore(lambda i: {"c_i": torch.zeros(6, dtype=torch.float64)})
    for i in (3, 1):
        store.put(i, {"c_i": torch.randn(6, generator=g, dtype=torch.float64)})
    return dict(x=x, server_state={"c": torch.randn(6, generator=g, dtype=torch.float64)},
                client_states=store, server_optimizer=opt,
                downlink={"model": torch.randn(6, generator=g, dtype=torch.float64)},
                per_client={"bits_up": np.arange(4, dtype=np.int64) * seed},
                rows=[{"round": 0, "loss": 1.5}, {"round": 1, "loss": float("nan")}],
                totals={"bits_up_cum": 7 * seed})


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_round_trip_restores_every_part_in_place(quad_config, tmp_path):
    saved, fresh = _state(1), _state(2)
    x_before, per_client_before = fresh["x"], fresh["per_client"]["bits_up"]
    write_checkpoint(capture(5, quad_config(), **saved), tmp_path / "c.ckpt")
    data = read_checkpoint(tmp_path / "c.ckpt")
    assert data["round"] == 5
    restore(data, torch.device("cpu"), **fresh)
    assert fresh["x"] is x_before and torch.equal(fresh["x"], saved["x"])
    assert fresh["per_client"]["bits_up"] is per_client_before
    assert np.array_equal(per_client_before, saved["per_client"]["bits_up"])
    assert _same(fresh["server_state"], saved["server_state"])
    assert _same(fresh["downlink"], saved["downlink"])
    assert dict(fresh["client_states"].items()).keys() == {1, 3}
    for i in (1, 3):
        assert _same(fresh["client_states"].get(i, "cpu"), saved["client_states"].get(i, "cpu"))
    assert fresh["rows"][0] == saved["rows"][0] and np.isnan(fresh["rows"][1]["loss"])
    assert fresh["totals"] == saved["totals"]
    a, b = fresh["server_optimizer"].state_dict(), saved["server_optimizer"].state_dict()
    assert a["param_groups"] == b["param_groups"]
    assert all(torch.equal(a["state"][0][k], b["state"][0][k]) for k in b["state"][0])


def test_snapshot_is_detached_from_the_running_state(quad_config):
    state = _state(1)
    snap = capture(1, quad_config(), **state)
    state["x"].add_(1.0)
    state["rows"].append({"round": 2})
    assert not torch.equal(snap["parts"]["x"], state["x"]) and len(snap["parts"]["rows"]) == 2


class _Payload:
    def __reduce__(self):
        return (exec, ("open('MARKER', 'w').write('pwned')",))


def test_a_crafted_checkpoint_cannot_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.ckpt"
    torch.save({"format": "fl_pytorch-checkpoint", "version": 1, "payload": _Payload()}, path)
    with pytest.raises(ConfigError, match="not a checkpoint that can be loaded safely"):
        read_checkpoint(path)
    assert not Path("MARKER").exists()
    pickle.loads(pickle.dumps(_Payload()))  # the payload does work when unpickled unsafely
    assert Path("MARKER").exists()


@pytest.mark.parametrize("content, message", [
    (b"not a torch file", "not a checkpoint that can be loaded safely"),
    ({"weights": torch.zeros(2)}, "not an fl_pytorch checkpoint"),
    ({"format": "fl_pytorch-checkpoint", "version": 99}, "checkpoint version 99"),
])
def test_other_files_are_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "f.ckpt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(ConfigError, match=f"--resume-from: .*{message}"):
        read_checkpoint(path)


def test_resuming_checks_the_options_that_change_the_maths(quad_config, tmp_path):
    cfg = quad_config(rounds=20, global_lr=0.5)
    write_checkpoint(capture(10, cfg, **_state(1)), tmp_path / "c.ckpt")
    load_checkpoint(tmp_path / "c.ckpt", cfg.replace(threadpool_for_local_opt="2", gpu="-1,-1",
                                                     rounds=30, out="other.bin"))
    with pytest.raises(ConfigError, match=r"--global-lr: invalid value 1\.0; .* written with "
                                          r"0\.5 .*only these options may differ.*--gpu"):
        load_checkpoint(tmp_path / "c.ckpt", cfg.replace(global_lr=1.0))
    with pytest.raises(ConfigError, match=r"--rounds: invalid value 8; .* 10 rounds done"):
        load_checkpoint(tmp_path / "c.ckpt", cfg.replace(rounds=8))


def test_the_newest_snapshot_wins_whatever_the_write_order(quad_config, tmp_path):
    writer = Checkpointer(tmp_path / "c.ckpt", every=5, save_threads=0)
    newer, older = capture(10, quad_config(), x=torch.ones(2)), \
        capture(5, quad_config(), x=torch.zeros(2))
    writer._write(None, newer)  # e.g. two save threads finishing out of order
    writer._write(None, older)
    writer.close()
    assert read_checkpoint(tmp_path / "c.ckpt")["round"] == 10
    assert [writer.due(r) for r in (4, 5, 10)] == [False, True, True]


def test_checkpoint_location(quad_config):
    assert checkpoint_path(quad_config(), "results/run.bin") is None
    assert checkpoint_path(quad_config(checkpoint_every=3), "results/run.bin") == \
        Path("checkpoints/run.ckpt")
    assert checkpoint_path(quad_config(checkpoint_dir="ck"), "a/b.bin") == Path("ck/b.ckpt")
