"""Resource monitoring: sane numbers on this machine, a clear no-GPU state, the NVML path."""

import logging
import math
import os
import sys
import types

import psutil
import torch

from fl_pytorch import run
from fl_pytorch.tracking.monitor import ResourceMonitor, format_snapshot, peak_gpu_memory_mb


def test_snapshot_has_sane_cpu_and_memory_figures():
    monitor = ResourceMonitor()
    x = torch.randn(400, 400)
    for _ in range(200):  # some CPU time for the process counter to see
        x = torch.tanh(x @ x.T / 400)
    s = monitor.snapshot()
    monitor.close()
    assert s.cpu_count == os.cpu_count()
    assert 0 < s.process_cpu_percent <= 100 * s.cpu_count * 1.1
    assert 0 <= s.system_cpu_percent <= 100
    assert 0 < s.process_ram_mb < s.ram_total_mb
    assert 0 < s.ram_available_mb <= s.ram_total_mb
    assert abs(s.ram_total_mb - psutil.virtual_memory().total / 2**20) < 1


def test_no_gpu_is_a_state_not_an_error():
    s = ResourceMonitor().snapshot()
    if torch.cuda.is_available():  # a machine with a GPU must list it
        assert s.gpu_state == "ok" and s.has_gpu
    else:
        assert s.gpu_state.startswith("no GPU: ") and s.gpus == () and not s.has_gpu
        assert s.cuda_memory == ()
        assert s.gpu_state in format_snapshot(s)
    assert math.isnan(peak_gpu_memory_mb([torch.device("cpu")]))


class _NVMLError(Exception):
    pass


def _fake_nvml(init_error=None):
    calls = []
    memory = types.SimpleNamespace(used=3 * 2**30, total=16 * 2**30)

    def init():
        calls.append("init")
        if init_error:
            raise _NVMLError(init_error)
    return types.SimpleNamespace(
        NVMLError=_NVMLError, nvmlInit=init, nvmlShutdown=lambda: calls.append("shutdown"),
        nvmlDeviceGetCount=lambda: 2, nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: b"Fake GPU %d" % h,
        nvmlDeviceGetUtilizationRates=lambda h: types.SimpleNamespace(gpu=40 + h),
        nvmlDeviceGetMemoryInfo=lambda h: memory), calls


def test_nvml_figures_are_reported_per_gpu(monkeypatch):
    nvml, calls = _fake_nvml()
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    monitor = ResourceMonitor()
    s = monitor.snapshot()
    monitor.close()
    assert s.gpu_state == "ok" and calls == ["init", "shutdown"]
    assert [(g.index, g.name, g.utilization_percent) for g in s.gpus] == \
        [(0, "Fake GPU 0", 40.0), (1, "Fake GPU 1", 41.0)]
    assert [(g.memory_used_mb, g.memory_total_mb) for g in s.gpus] == [(3072.0, 16384.0)] * 2
    assert "GPU1 Fake GPU 1 41%, 3072/16384 MB" in format_snapshot(s)


def test_nvml_without_driver_gives_the_no_gpu_state(monkeypatch):
    nvml, _ = _fake_nvml(init_error="Driver Not Loaded")
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    s = ResourceMonitor().snapshot()
    assert s.gpu_state == "no GPU: NVML is not available (Driver Not Loaded)" and s.gpus == ()


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_cpu_run_records_nan_gpu_memory_and_logs_resources(quad_config, tmp_path):
    logger, handler = logging.getLogger("fl_pytorch"), _Lines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        result = run(quad_config(rounds=4, eval_every=2, log_gpu_usage=True),
                     out=tmp_path / "r.bin")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert result["metrics"]["gpu_memory_mb"].shape == (5,)
    assert all(math.isnan(v) for v in result["metrics"]["gpu_memory_mb"])
    lines = [line for line in handler.lines if "resources:" in line]
    assert [line.split()[1] for line in lines] == ["0", "2", "4"]
    assert all("RAM" in line and "no GPU" in line for line in lines)
