"""--tensorboard: an event file per run, read back with TensorBoard's own reader."""

import sys

import numpy as np
import pytest

from fl_pytorch import load_result
from fl_pytorch.cli import main

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

ARGV = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec",
        "clients:4,samples_per_client:10,variables:5,homogeneous:0,l:2,mu:1", "--model", "linear",
        "--loss", "mse", "--rounds", "4", "--eval-every", "2", "--num-clients-per-round", "2",
        "--global-lr", "0.5", "--client-compressor", "randk:2", "--quiet"]


def _hparams(events: EventAccumulator) -> dict:
    content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    return {k: v.string_value or v.number_value or v.bool_value for k, v in info.hparams.items()}


def test_every_metric_of_every_round_and_the_options_reach_the_event_file(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")  # a W&B key, but no W&B run
    out = tmp_path / "run.bin"
    assert main([*ARGV, "--out", str(out), "--tensorboard", str(tmp_path / "tb"),
                 "--wandb-key", "secret-key-1"]) == 0
    [event_file] = (tmp_path / "tb" / "run").glob("events.out.tfevents.*")
    events = EventAccumulator(str(event_file.parent))
    events.Reload()
    metrics = load_result(out)["metrics"]
    for name, values in metrics.items():
        finite = np.isfinite(values)
        if name == "round" or not finite.any():
            continue
        scalars = events.Scalars(name)
        assert [s.step for s in scalars] == metrics["round"][finite].tolist(), name
        assert np.allclose([s.value for s in scalars], values[finite].astype(np.float32),
                           rtol=1e-6, atol=0), name
    assert [s.step for s in events.Scalars("loss")] == [0, 2, 4]  # evaluated rounds only
    options = _hparams(events)
    assert options["global_lr"] == 0.5 and options["client_compressor"] == "randk:2"
    assert options["rounds"] == 4 and "wandb_key" not in options
    assert b"secret-key-1" not in event_file.read_bytes()
    [text] = events.Tensors("command_line/text_summary")
    assert b"--tensorboard" in text.tensor_proto.string_val[0]


def test_runs_sharing_a_folder_get_one_subfolder_each(tmp_path):
    for name in ("a", "b"):
        assert main([*ARGV, "--out", str(tmp_path / f"{name}.bin"),
                     "--tensorboard", str(tmp_path / "tb")]) == 0
    assert sorted(p.name for p in (tmp_path / "tb").iterdir()) == ["a", "b"]


def test_without_the_package_the_option_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    assert main([*ARGV, "--out", str(tmp_path / "r.bin"), "--tensorboard", str(tmp_path)]) == 2
    assert capsys.readouterr().err == ("error: --tensorboard: the 'tensorboard' package is not "
                                       "installed (pip install tensorboard)\n")
    assert not (tmp_path / "r.bin").exists()


def test_a_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main([*ARGV, "--out", str(tmp_path / "r.bin"), "--tensorboard", str(blocker)]) == 2
    assert capsys.readouterr().err.startswith("error: --tensorboard: cannot use")
