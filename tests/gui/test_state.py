"""The Qt-free view model: progress, ETA, live metric columns, session bookkeeping."""

import math
from pathlib import Path

import numpy as np
import pytest

from fl_pytorch import Config
from gui.state import LoadedRun, Session, device_label, format_duration


def test_durations_and_device_labels():
    assert format_duration(75.2) == "1:15" and format_duration(3725) == "1:02:05"
    assert device_label("0,-1") == "cuda:0, cpu" and device_label("cpu,cuda:1") == "cpu, cuda:1"


def test_rows_become_columns_with_nan_for_metrics_not_evaluated():
    session = Session()
    record = session.add(Config(rounds=4), Path("r.bin"))
    assert record.name == "fedavg-1" and record.status == "starting"
    assert record.progress_text() == "0% (0/4)"
    record.add_rows([{"round": 0, "wall_time": 0.0, "loss": 3.0}])
    record.add_rows([{"round": 1, "wall_time": 1.0},
                     {"round": 2, "wall_time": 2.0, "loss": 1.0, "extra": 7.0}])
    assert record.status == "running" and record.rounds_done == 2 and record.progress == 0.5
    metrics = record.live_result()["metrics"]
    assert list(metrics) == ["round", "wall_time", "loss", "extra"]
    assert metrics["round"].dtype == np.int64 and metrics["round"].tolist() == [0, 1, 2]
    np.testing.assert_array_equal(metrics["loss"], [3.0, math.nan, 1.0])
    np.testing.assert_array_equal(metrics["extra"], [math.nan, math.nan, 7.0])
    assert record.latest == {"round": 2, "wall_time": 2.0, "loss": 1.0, "extra": 7.0}
    assert record.eta(now=record.started + 10.0) == pytest.approx(10.0)  # 5 s a round, 2 left
    assert "ETA" in record.progress_text()

    entry = LoadedRun(record.name, "this session", record=record)
    assert entry.cell("rounds") == 2 and entry.cell("final:loss") == 1.0
    assert entry.cell("config:rounds") == 4 and entry.cell("final:missing") is None
    with pytest.raises(ValueError, match="still running"):
        session.remove(record)
    record.finish({"status": "stopped", "error": None, "config": {}, "metrics": {}})
    assert record.eta() is None and record.progress_text().startswith("50% (2/4) in 0:")
    session.remove(record)
    assert session.runs == [] and session.add(Config(run_id="x"), Path("x.bin")).name == "x"
