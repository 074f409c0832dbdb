"""Safe loader: crafted pickles cannot run code; clear errors for files that are not results."""

from __future__ import annotations

import builtins
import os
import pickle
import subprocess
import sys
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from fl_pytorch.results import (
    FORMAT,
    VERSION,
    ResultError,
    UnsafeResultError,
    load_result,
    load_results,
    save_result,
)


def make_result(seed: int = 0, rounds: int = 3) -> dict:
    """A small valid result; ``seed`` changes the numbers."""
    rng = np.random.default_rng(seed)
    n = rounds + 1
    return {
        "format": FORMAT, "version": VERSION, "status": "finished", "error": None,
        "config": {"algorithm": "fedavg", "group_name": "", "manual_runtime_seed": seed,
                   "rounds": rounds},
        "command_line": f"./run.sh --manual-runtime-seed {seed}",
        "metrics": {"round": np.arange(n, dtype=float), "loss": rng.random(n),
                    "bits_up_cum": np.arange(n) * 64.0},
        "final_params": rng.standard_normal(5),
        "problem": {"name": "quadratic", "dimension": 5},
        "environment": {"python": "3.11", "torch": "2", "numpy": "2", "platform": "linux",
                        "hostname": "h", "devices": ["cpu"], "started_at": "t0",
                        "finished_at": "t1"},
    }


# --- crafted pickles ---------------------------------------------------------------------------

class SystemPayload:
    """Unpickling calls os.system (posix.system)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


class SubprocessPayload:
    """Unpickling calls subprocess.call."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return subprocess.call, ([sys.executable, "-c", f"open({str(self.marker)!r}, 'w')"],)


def eval_payload_protocol0(marker: Path) -> bytes:
    """Hand-written protocol-0 opcodes: GLOBAL builtins.eval, MARK, STRING, TUPLE, REDUCE, STOP."""
    code = f"open({str(marker)!r}, 'w').close()"
    return b"cbuiltins\neval\n(" + b"V" + code.encode() + b"\ntR."


def eval_payload_protocol4(marker: Path) -> bytes:
    """Hand-written protocol-4 opcodes using STACK_GLOBAL, hidden inside a result-like dict."""
    code = f"open({str(marker)!r}, 'w').close()".encode()

    def u(s: bytes) -> bytes:  # SHORT_BINUNICODE
        return b"\x8c" + bytes([len(s)]) + s

    return (b"\x80\x04" + b"}" + u(b"format") + u(FORMAT.encode()) + b"s"  # {"format": FORMAT}
            + u(b"config") + u(b"builtins") + u(b"eval") + b"\x93" + u(code) + b"\x85R"
            + b"s.")


def _write(tmp_path: Path, data: bytes, name: str = "evil.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind, refused", [
    ("system", "system"),
    ("subprocess", "subprocess.call"),
    ("eval0", "builtins.eval"),
    ("eval4", "builtins.eval"),
    ("nested", "system"),
])
def test_crafted_pickle_is_refused_without_side_effect(tmp_path: Path, kind: str,
                                                        refused: str) -> None:
    marker = tmp_path / "pwned"
    if kind == "system":
        data = pickle.dumps(SystemPayload(marker))
    elif kind == "subprocess":
        data = pickle.dumps(SubprocessPayload(marker))
    elif kind == "eval0":
        data = eval_payload_protocol0(marker)
    elif kind == "eval4":
        data = eval_payload_protocol4(marker)
    else:  # a real result with the payload deep inside the config
        result = make_result()
        result["config"]["extra"] = {"list": [1, SystemPayload(marker)]}
        data = pickle.dumps(result, protocol=4)
    # Positive control: the payload really does run under the standard unpickler.
    pickle.loads(data)
    assert marker.exists(), "the crafted payload should work with pickle.loads"
    marker.unlink()

    path = _write(tmp_path, data)
    with pytest.raises(UnsafeResultError) as info:
        load_result(path)
    assert not marker.exists()
    message = str(info.value)
    assert refused in message and str(path) in message
    assert isinstance(info.value, ValueError)


def test_harmless_but_unlisted_global_is_refused(tmp_path: Path) -> None:
    result = make_result()
    result["config"]["od"] = OrderedDict(a=1)
    path = _write(tmp_path, pickle.dumps(result))
    with pytest.raises(UnsafeResultError, match="collections.OrderedDict"):
        load_result(path)


def test_builtins_unchanged_after_refusal(tmp_path: Path) -> None:
    eval_before = builtins.eval
    with pytest.raises(UnsafeResultError):
        load_result(_write(tmp_path, eval_payload_protocol0(tmp_path / "m")))
    assert builtins.eval is eval_before


# --- normal loading ----------------------------------------------------------------------------

def test_load_results_keeps_order(tmp_path: Path) -> None:
    paths = [save_result(make_result(seed), tmp_path / f"r{seed}.bin") for seed in (3, 1, 2)]
    loaded = load_results(paths)
    assert [r["config"]["manual_runtime_seed"] for r in loaded] == [3, 1, 2]
    for seed, r in zip((3, 1, 2), loaded):
        np.testing.assert_array_equal(r["metrics"]["loss"], make_result(seed)["metrics"]["loss"])
        np.testing.assert_array_equal(r["final_params"], make_result(seed)["final_params"])


@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_plain_pickle_protocols_load(tmp_path: Path, protocol: int) -> None:
    result = make_result()
    loaded = load_result(_write(tmp_path, pickle.dumps(result, protocol=protocol)))
    np.testing.assert_array_equal(loaded["metrics"]["loss"], result["metrics"]["loss"])
    assert loaded["metrics"]["loss"].flags.writeable


def test_numpy1_spelling_loads_without_warning(tmp_path: Path) -> None:
    result = make_result()
    result["problem"]["L"] = np.float64(2.5)
    data = pickle.dumps(result, protocol=3)  # GLOBAL opcodes: text module names
    assert b"numpy._core.multiarray" in data
    data = data.replace(b"numpy._core.", b"numpy.core.")  # as numpy 1.x writes them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_result(_write(tmp_path, data))
    np.testing.assert_array_equal(loaded["final_params"], result["final_params"])
    assert loaded["problem"]["L"] == 2.5 and type(loaded["problem"]["L"]) is np.float64


# --- clear errors ------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.bin"
    with pytest.raises(FileNotFoundError, match="result file not found: .*nope.bin"):
        load_result(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match="is a directory"):
        load_result(tmp_path)


@pytest.mark.parametrize("data, message", [
    (b"", "empty file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "not a pickle"),
    (b"round,loss\n0,1.0\n", "not a pickle"),
])
def test_not_a_pickle(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(ResultError, match=message):
        load_result(_write(tmp_path, data))


def test_truncated_pickle(tmp_path: Path) -> None:
    data = pickle.dumps(make_result(), protocol=4)
    with pytest.raises(ResultError, match="corrupt or truncated"):
        load_result(_write(tmp_path, data[: len(data) // 2]))


@pytest.mark.parametrize("obj", [[1, 2, 3], {"format": "something-else"}, {"a": 1},
                                 {"format": np.zeros(2)}])
def test_not_an_fl_pytorch_result(tmp_path: Path, obj: object) -> None:
    with pytest.raises(ResultError, match="not an fl_pytorch result file"):
        load_result(_write(tmp_path, pickle.dumps(obj)))


def test_newer_version(tmp_path: Path) -> None:
    result = make_result()
    result["version"] = VERSION + 1
    result["metrics"] = "a future layout"
    with pytest.raises(ResultError, match=f"newer fl_pytorch.*version {VERSION + 1}"):
        load_result(_write(tmp_path, pickle.dumps(result)))


def test_invalid_content_names_the_key(tmp_path: Path) -> None:
    result = make_result()
    result["metrics"]["loss"] = result["metrics"]["loss"][:2]
    with pytest.raises(ResultError, match=r"invalid result file: .*\['loss'\] has 2 rows"):
        load_result(_write(tmp_path, pickle.dumps(result)))


# --- the plain-Python loader printed in docs/results_format.md ---------------------------------

def _doc_loader():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "results_format.md").read_text()
    section = doc.split("Without fl_pytorch", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "results_format.md", "exec"), namespace)  # noqa: S102 - our own doc
    return namespace["load_result"]


def test_documented_plain_loader_reads_results_and_refuses_code(tmp_path: Path) -> None:
    doc_load = _doc_loader()
    result = make_result(seed=4)
    loaded = doc_load(save_result(result, tmp_path / "r.bin"))
    np.testing.assert_array_equal(loaded["metrics"]["loss"], result["metrics"]["loss"])
    np.testing.assert_array_equal(loaded["final_params"], result["final_params"])
    marker = tmp_path / "pwned"
    evil = _write(tmp_path, pickle.dumps(SystemPayload(marker)))
    with pytest.raises(pickle.UnpicklingError, match="refused global"):
        doc_load(evil)
    assert not marker.exists()
