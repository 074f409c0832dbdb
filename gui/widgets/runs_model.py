"""Table model of the session's runs and a delegate that draws the progress column as a bar.

The bar is drawn by hand in pale colours under dark text, so the text reads the same on both
sides of the fill's edge (a native bar swaps text colours there, which is hard to read).
"""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QRectF, Qt
from PyQt5.QtGui import QColor, QPainter, QPen
from PyQt5.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from ..state import (
    FAILED,
    FINISHED,
    INTERRUPTED,
    RUNNING,
    STARTING,
    STOPPED,
    RunRecord,
    Session,
    device_label,
)

COLUMNS = ("Name", "Sweep", "Algorithm", "Device", "Progress", "State", "Result file")
PROGRESS_COLUMN = COLUMNS.index("Progress")
STATE_COLORS = {STARTING: "#6b7280", RUNNING: "#1d4ed8", FINISHED: "#15803d",
                STOPPED: "#b45309", INTERRUPTED: "#b45309", FAILED: "#b91c1c"}
PROGRESS_ROLE = Qt.UserRole + 1
STATE_ROLE = Qt.UserRole + 2
BAR_FILL = {STARTING: "#e5e7eb", RUNNING: "#bfdbfe", FINISHED: "#bbf7d0", STOPPED: "#fde68a",
            INTERRUPTED: "#fde68a", FAILED: "#fecaca"}
BAR_TRACK, BAR_BORDER, BAR_TEXT = "#f3f4f6", "#c7cdd6", "#111827"


class RunsModel(QAbstractTableModel):
    """Rows are ``session.runs``; call :meth:`run_changed` when a run's data change."""

    def __init__(self, session: Session, parent: Any = None):
        super().__init__(parent)
        self.session = session

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.session.runs)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.DisplayRole) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        run = self.session.runs[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.DisplayRole:
            return self._text(run, column)
        if role == PROGRESS_ROLE:
            return run.progress
        if role == STATE_ROLE:
            return run.status
        if role == Qt.ForegroundRole and column == "State":
            return QColor(STATE_COLORS[run.status])
        if role == Qt.ToolTipRole:
            return run.error if column == "State" and run.error else str(run.out_path)
        return None

    @staticmethod
    def _text(run: RunRecord, column: str) -> str:
        return {"Name": run.name, "Sweep": run.sweep, "Algorithm": run.config.algorithm,
                "Device": device_label(run.config.gpu), "Progress": run.progress_text(),
                "State": run.status, "Result file": run.result_file_text()}[column]

    def run_at(self, row: int) -> RunRecord:
        """The run shown in ``row``."""
        return self.session.runs[row]

    def run_added(self) -> None:
        """A run was appended to the session."""
        n = len(self.session.runs)
        self.beginInsertRows(QModelIndex(), n - 1, n - 1)
        self.endInsertRows()

    def remove(self, run: RunRecord) -> None:
        """Remove ``run`` from the session and the table."""
        row = self.session.runs.index(run)
        self.beginRemoveRows(QModelIndex(), row, row)
        self.session.remove(run)
        self.endRemoveRows()

    def run_changed(self, run: RunRecord) -> None:
        """Refresh the row of ``run``."""
        row = self.session.runs.index(run)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))


class ProgressDelegate(QStyledItemDelegate):
    """Draws the Progress column as a pale bar (coloured by state) under dark, centred text."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        rect = QRectF(option.rect.adjusted(2, 3, -3, -4))
        fraction = min(max(float(index.data(PROGRESS_ROLE) or 0.0), 0.0), 1.0)
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor(BAR_BORDER)))
        painter.setBrush(QColor(BAR_TRACK))
        painter.drawRoundedRect(rect, 3, 3)
        if fraction > 0:
            fill = QRectF(rect.x(), rect.y(), rect.width() * fraction, rect.height())
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(BAR_FILL.get(index.data(STATE_ROLE), BAR_FILL[RUNNING])))
            painter.drawRoundedRect(fill.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        painter.setPen(QColor(BAR_TEXT))
        painter.setFont(option.font)
        painter.drawText(rect, Qt.AlignCenter, index.data(Qt.DisplayRole) or "")
        painter.restore()
