"""Status-bar monitor of CPU, RAM and GPU load (``fl_pytorch.tracking.monitor``), every second."""

from __future__ import annotations

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from fl_pytorch.tracking.monitor import ResourceMonitor, ResourceSnapshot

from ..sysinfo import gib

REFRESH_MS = 1000


def _bar(tooltip: str) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 100)
    bar.setFixedWidth(140)
    bar.setFixedHeight(16)
    bar.setToolTip(tooltip)
    return bar


class SystemMonitor(QWidget):
    """``CPU [bar]  RAM [bar]  GPU0 [bar]...`` or ``no GPU`` in the status bar."""

    def __init__(self, monitor: ResourceMonitor, parent: QWidget | None = None):
        super().__init__(parent)
        self.monitor = monitor
        self.cpu = _bar("CPU load of this machine (all cores)")
        self.ram = _bar("Memory in use on this machine")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        for name, bar in (("CPU", self.cpu), ("RAM", self.ram)):
            layout.addWidget(QLabel(name))
            layout.addWidget(bar)
        snapshot = monitor.snapshot()
        self.gpu_bars: list[QProgressBar] = []
        for gpu in snapshot.gpus:
            bar = _bar(gpu.name)
            layout.addWidget(QLabel(f"GPU{gpu.index}"))
            layout.addWidget(bar)
            self.gpu_bars.append(bar)
        self.no_gpu = QLabel("no GPU")
        self.no_gpu.setObjectName("hint")
        self.no_gpu.setToolTip(snapshot.gpu_state)
        self.no_gpu.setVisible(not self.gpu_bars)
        layout.addWidget(self.no_gpu)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)
        self.refresh()

    def refresh(self) -> ResourceSnapshot:
        """Take a snapshot and show it."""
        s = self.monitor.snapshot()
        used_mb = s.ram_total_mb - s.ram_available_mb
        self.cpu.setValue(round(s.system_cpu_percent))
        self.cpu.setFormat(f"{s.system_cpu_percent:.0f}%")
        self.ram.setValue(round(100 * used_mb / s.ram_total_mb))
        self.ram.setFormat(f"{used_mb / 1024:.1f} / {gib(s.ram_total_mb)}")
        for bar, gpu in zip(self.gpu_bars, s.gpus):
            bar.setValue(round(gpu.utilization_percent))
            bar.setFormat(f"{gpu.utilization_percent:.0f}%  {gib(gpu.memory_used_mb)}")
            bar.setToolTip(f"{gpu.name}: {gpu.utilization_percent:.0f}% busy, "
                           f"{gib(gpu.memory_used_mb)} of {gib(gpu.memory_total_mb)} in use")
        return s
