"""Resource monitoring for the GUI and the logs.

Process CPU and RAM come from psutil; per-GPU utilisation and memory from NVML (``pynvml``, the
nvidia-ml-py package) when an NVIDIA driver is there; this process's own CUDA memory from
``torch.cuda`` once CUDA is in use (the monitor never initialises CUDA itself). Without a GPU a
snapshot says so in ``gpu_state`` (``"no GPU: <why>"``) and lists no GPUs: nothing raises.

:func:`peak_gpu_memory_mb` is the per-round ``gpu_memory_mb`` result metric: the peak memory
held by tensors on the run's CUDA devices during the round, and NaN when the run uses no GPU.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ..core.callbacks import Callback, RunInfo

LOGGER = logging.getLogger("fl_pytorch")
MB = float(1 << 20)


@dataclass(frozen=True)
class GpuStatus:
    """One NVIDIA GPU as NVML sees it (NaN where NVML could not answer)."""

    index: int
    name: str
    utilization_percent: float  # share of the last sample period in which a kernel ran
    memory_used_mb: float  # all processes
    memory_total_mb: float


@dataclass(frozen=True)
class CudaMemory:
    """This process's tensors on one CUDA device (torch's caching allocator)."""

    device: str
    allocated_mb: float
    reserved_mb: float
    peak_allocated_mb: float


@dataclass(frozen=True)
class ResourceSnapshot:
    """Resource use at one moment."""

    cpu_count: int
    process_cpu_percent: float  # since the previous snapshot; 100 = one core fully busy
    system_cpu_percent: float  # all cores together, 0..100
    process_ram_mb: float  # resident set size
    ram_total_mb: float
    ram_available_mb: float
    gpu_state: str  # "ok" or "no GPU: <why>"
    gpus: tuple[GpuStatus, ...]
    cuda_memory: tuple[CudaMemory, ...]

    @property
    def has_gpu(self) -> bool:
        return bool(self.gpus)


def _start_nvml() -> tuple[Any, str]:
    """The pynvml module after nvmlInit (or None) and the GPU state text."""
    try:
        import pynvml
    except ImportError:
        return None, "no GPU: pynvml is not installed (pip install nvidia-ml-py)"
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as e:
        return None, f"no GPU: NVML is not available ({e})"
    if pynvml.nvmlDeviceGetCount() == 0:
        pynvml.nvmlShutdown()
        return None, "no GPU: the NVIDIA driver reports no device"
    return pynvml, "ok"


def _gpu_status(nvml: Any, index: int) -> GpuStatus:
    try:
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        name = nvml.nvmlDeviceGetName(handle)
        util = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        mem = nvml.nvmlDeviceGetMemoryInfo(handle)
        return GpuStatus(index, name.decode() if isinstance(name, bytes) else str(name), util,
                         mem.used / MB, mem.total / MB)
    except nvml.NVMLError:
        return GpuStatus(index, "unknown", math.nan, math.nan, math.nan)


def cuda_memory() -> tuple[CudaMemory, ...]:
    """torch.cuda memory counters of every CUDA device, if this process has started CUDA."""
    if not torch.cuda.is_initialized():
        return ()
    return tuple(CudaMemory(f"cuda:{i}", torch.cuda.memory_allocated(i) / MB,
                            torch.cuda.memory_reserved(i) / MB,
                            torch.cuda.max_memory_allocated(i) / MB)
                 for i in range(torch.cuda.device_count()))


def compute_devices() -> list[tuple[str, str]]:
    """This machine's ``--gpu`` choices: ``("-1", "CPU")`` and ``(id, "cuda:id  name")`` each."""
    return [("-1", "CPU")] + [(str(i), f"cuda:{i}  {torch.cuda.get_device_name(i)}")
                              for i in range(torch.cuda.device_count())]


def torch_versions() -> dict[str, str]:
    """PyTorch's version and its CUDA build (with how many GPUs this machine can use)."""
    cuda = torch.version.cuda or "not built with CUDA"
    if torch.version.cuda:
        cuda += f" ({torch.cuda.device_count()} GPU(s) usable)" if torch.cuda.is_available() \
            else " (no usable GPU)"
    return {"PyTorch": torch.__version__, "CUDA": cuda}


class ResourceMonitor:
    """Takes snapshots; keep one instance (CPU percentages are measured between calls)."""

    def __init__(self) -> None:
        import psutil  # here, not at import: a run that monitors nothing does without it
        self._psutil = psutil
        self._process = psutil.Process()
        self._process.cpu_percent(None)
        self._psutil.cpu_percent(None)
        self._nvml, self.gpu_state = _start_nvml()

    def snapshot(self) -> ResourceSnapshot:
        psutil = self._psutil
        mem = psutil.virtual_memory()
        gpus = () if self._nvml is None else tuple(
            _gpu_status(self._nvml, i) for i in range(self._nvml.nvmlDeviceGetCount()))
        return ResourceSnapshot(
            cpu_count=psutil.cpu_count() or 1,
            process_cpu_percent=self._process.cpu_percent(None),
            system_cpu_percent=psutil.cpu_percent(None),
            process_ram_mb=self._process.memory_info().rss / MB,
            ram_total_mb=mem.total / MB, ram_available_mb=mem.available / MB,
            gpu_state=self.gpu_state, gpus=gpus, cuda_memory=cuda_memory())

    def close(self) -> None:
        if self._nvml is not None:
            self._nvml.nvmlShutdown()
            self._nvml = None


def format_snapshot(s: ResourceSnapshot) -> str:
    """One log line."""
    text = (f"CPU {s.process_cpu_percent:.0f}% of {s.cpu_count} cores (system "
            f"{s.system_cpu_percent:.0f}%), RAM {s.process_ram_mb:.0f} MB (available "
            f"{s.ram_available_mb:.0f} of {s.ram_total_mb:.0f} MB)")
    if not s.gpus:
        return f"{text}; {s.gpu_state}"
    gpus = "; ".join(f"GPU{g.index} {g.name} {g.utilization_percent:.0f}%, "
                     f"{g.memory_used_mb:.0f}/{g.memory_total_mb:.0f} MB" for g in s.gpus)
    return f"{text}; {gpus}"


def peak_gpu_memory_mb(devices: Sequence[torch.device]) -> float:
    """Peak tensor memory in MB since the last call, which starts a new period.

    Summed over the CUDA devices among ``devices``; NaN when there is none.
    """
    cuda = sorted({torch.device(d) for d in devices if torch.device(d).type == "cuda"},
                  key=str)
    if not cuda:
        return math.nan
    peak = 0.0
    for d in cuda:
        peak += torch.cuda.max_memory_allocated(d) / MB
        torch.cuda.reset_peak_memory_stats(d)
    return peak


class ResourceLogCallback(Callback):
    """``--log-gpu-usage``: logs a resource line every ``every`` rounds."""

    def __init__(self, every: int = 1):
        self.every = every
        self._monitor: ResourceMonitor | None = None

    def on_run_begin(self, info: RunInfo) -> None:
        self._monitor = ResourceMonitor()

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        if self._monitor is not None and int(row["round"]) % self.every == 0:
            LOGGER.info("round %d resources: %s", row["round"],
                        format_snapshot(self._monitor.snapshot()))

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        if self._monitor is not None:
            self._monitor.close()
            self._monitor = None
