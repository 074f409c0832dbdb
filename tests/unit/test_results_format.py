"""Result format: validation, to_plain, save/load round trip and atomic writes."""

from __future__ import annotations

import os
import pickle
import pickletools
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from fl_pytorch.results import (
    FORMAT,
    VERSION,
    ResultError,
    load_result,
    save_result,
    to_plain,
    validate_result,
)
from fl_pytorch.results import format as result_format


def make_result(rounds: int = 4) -> dict:
    """A small valid result with several dtypes, NaN rows and nested plain config values."""
    n = rounds + 1
    loss = np.linspace(1.0, 0.1, n)
    loss[1::2] = np.nan  # evaluated every other round
    return {
        "format": FORMAT, "version": VERSION, "status": "finished", "error": None,
        "config": {"algorithm": "scaffold", "group_name": "", "manual_runtime_seed": 456,
                   "rounds": rounds, "global_lr": 0.5, "deterministic": True, "out": None,
                   "gpu": "-1", "nested": {"a": [1, 2.5, "x", None], "b": b"raw"}},
        "command_line": f"./run.sh --rounds {rounds} --algorithm scaffold",
        "metrics": {
            "round": np.arange(n, dtype=np.int64),
            "wall_time": np.cumsum(np.full(n, 0.25)),
            "loss": loss,
            "bits_up_cum": np.arange(n, dtype=np.float64) * 3200.0,
            "top1_acc": np.linspace(0.1, 0.9, n).astype(np.float32),
        },
        "final_params": np.arange(7, dtype=np.float32) / 3,
        "problem": {"name": "quadratic", "dimension": 7, "L": np.float64(2.0), "mu": 1.0},
        "environment": {"python": "3.11", "torch": "2.x", "numpy": np.__version__,
                        "platform": "linux", "hostname": "h", "devices": ["cpu"],
                        "started_at": "2024-01-01T00:00:00", "finished_at": "2024-01-01T00:01:00"},
    }


def assert_same_result(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        if key == "metrics":
            assert list(value) == list(b[key])
            for name, array in value.items():
                assert array.dtype == b[key][name].dtype, name
                np.testing.assert_array_equal(array, b[key][name])
        elif key == "final_params":
            assert value.dtype == b[key].dtype
            np.testing.assert_array_equal(value, b[key])
        else:
            assert value == b[key], key


def test_valid_result_passes() -> None:
    validate_result(make_result())


def test_round_trip_preserves_everything(tmp_path: Path) -> None:
    original = make_result()
    path = save_result(original, tmp_path / "sub" / "run.bin")
    loaded = load_result(path)
    assert_same_result(original, loaded)
    assert type(loaded["problem"]["L"]) is np.float64
    assert loaded["metrics"]["top1_acc"].dtype == np.float32
    assert np.isnan(loaded["metrics"]["loss"][1])


def test_saved_file_references_only_numpy_globals(tmp_path: Path) -> None:
    path = save_result(make_result(), tmp_path / "run.bin")
    data = path.read_bytes()
    assert data[:2] == b"\x80\x04"  # protocol 4
    strings = [arg for op, arg, _ in pickletools.genops(data) if isinstance(arg, str)]
    modules = {s for s in strings if s.startswith(("numpy", "builtins", "os", "posix"))}
    assert modules <= {"numpy", "numpy._core.multiarray", "numpy.core.multiarray"}


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("metrics"), "missing key(s): metrics"),
    (lambda d: d.update(format="other"), "result['format']"),
    (lambda d: d.update(version=VERSION + 1), "result['version']"),
    (lambda d: d.update(status="done"), "finished, stopped, interrupted, failed"),
    (lambda d: d.update(error=3), "result['error']"),
    (lambda d: d["metrics"].update(loss=np.zeros(2)), "['loss'] has 2 rows but 'round' has 5"),
    (lambda d: d["metrics"].update(loss=np.zeros((5, 1))), "result['metrics']['loss']"),
    (lambda d: d["metrics"].update(loss=[0.0] * 5), "result['metrics']['loss']"),
    (lambda d: d["metrics"].update(loss=np.array(["a"] * 5)), "metrics must be numbers"),
    (lambda d: d.update(final_params=np.zeros((2, 2))), "final_params"),
    (lambda d: d["problem"].pop("dimension"), "'dimension'"),
    (lambda d: d["environment"].pop("hostname"), "missing key(s): hostname"),
    (lambda d: d["config"].update(shape=(1, 2)), "call to_plain() first"),
    (lambda d: d["config"].update(t=torch.zeros(2)), "call to_plain() first"),
    (lambda d: d["config"].update(od=OrderedDict(a=1)), "result['config']['od']"),
    (lambda d: d["config"].update(obj=np.array([object()])), "dtype object"),
    (lambda d: d["config"].update({3: "x"}), "key 3 is a int"),
    (lambda d: d.update(extra={1, 2}), "result['extra']"),
])
def test_validate_names_what_is_wrong(mutate, message: str) -> None:
    d = make_result()
    mutate(d)
    with pytest.raises(ResultError) as info:
        validate_result(d)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_validate_rejects_non_dict() -> None:
    with pytest.raises(ValueError, match="must be a dict"):
        validate_result([1, 2])


def test_to_plain_converts_tensors_scalars_tuples() -> None:
    w = torch.arange(4, dtype=torch.float32, requires_grad=True)
    value = {
        "params": w * 2,
        "half": torch.ones(3, dtype=torch.bfloat16),
        "scalar_tensor": torch.tensor(2.5),
        "np_scalar": np.int32(7),
        "shape": (3, (4, 5)),
        "path": Path("/tmp/x"),
        "device": torch.device("cpu"),
        "dtype": torch.float64,
        1: "int key",
    }
    plain = to_plain(value)
    assert type(plain["params"]) is np.ndarray
    np.testing.assert_array_equal(plain["params"], [0.0, 2.0, 4.0, 6.0])
    assert plain["half"].dtype == np.float32
    np.testing.assert_array_equal(plain["half"], [1.0, 1.0, 1.0])
    assert plain["scalar_tensor"] == 2.5 and type(plain["scalar_tensor"]) is float
    assert plain["np_scalar"] == 7 and type(plain["np_scalar"]) is int
    assert plain["shape"] == [3, [4, 5]]
    assert plain["path"] == "/tmp/x"
    assert plain["device"] == "cpu" and plain["dtype"] == "torch.float64"
    assert plain["1"] == "int key"
    d = make_result()
    d["config"]["extra"] = plain
    validate_result(d)


def test_to_plain_names_unknown_objects() -> None:
    with pytest.raises(TypeError, match=r"value\['a'\]\[1\]: object"):
        to_plain({"a": [1, object()]})


class ExplodingReduce:
    """Fails in the middle of pickling."""

    def __reduce__(self):
        raise RuntimeError("boom while pickling")


def _files(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_invalid_result_leaves_previous_file_intact(tmp_path: Path) -> None:
    path = save_result(make_result(), tmp_path / "run.bin")
    before = path.read_bytes()
    bad = make_result(rounds=9)
    bad["config"]["x"] = ExplodingReduce()
    with pytest.raises(ResultError, match="ExplodingReduce"):
        save_result(bad, path)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["run.bin"]


def test_pickling_failure_midway_leaves_previous_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = save_result(make_result(), tmp_path / "run.bin")
    before = path.read_bytes()
    monkeypatch.setattr(result_format, "validate_result", lambda d: None)  # let it reach pickle
    bad = make_result(rounds=9)
    bad["config"]["x"] = ExplodingReduce()
    with pytest.raises(RuntimeError, match="boom while pickling"):
        save_result(bad, path)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["run.bin"]


def test_write_failure_leaves_previous_file_intact(tmp_path: Path, monkeypatch) -> None:
    path = save_result(make_result(), tmp_path / "run.bin")
    before = path.read_bytes()

    def failing_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        save_result(make_result(rounds=50), path)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["run.bin"]
    assert pickle.loads(before)["config"]["rounds"] == 4
