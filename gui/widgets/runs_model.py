"""Table model of the session's runs and a delegate that draws the progress column as a bar."""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

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

COLUMNS = ("Name", "Algorithm", "Device", "Progress", "State", "Result file")
PROGRESS_COLUMN = COLUMNS.index("Progress")
STATE_COLORS = {STARTING: "#6b7280", RUNNING: "#1d4ed8", FINISHED: "#15803d",
                STOPPED: "#b45309", INTERRUPTED: "#b45309", FAILED: "#b91c1c"}
PROGRESS_ROLE = Qt.UserRole + 1


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
        if role == Qt.ForegroundRole and column == "State":
            return QColor(STATE_COLORS[run.status])
        if role == Qt.ToolTipRole:
            return run.error if column == "State" and run.error else str(run.out_path)
        return None

    @staticmethod
    def _text(run: RunRecord, column: str) -> str:
        return {"Name": run.name, "Algorithm": run.config.algorithm,
                "Device": device_label(run.config.gpu), "Progress": run.progress_text(),
                "State": run.status, "Result file": str(run.out_path)}[column]

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
    """Draws the Progress column as a native progress bar with the run's progress text."""

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(1000 * (index.data(PROGRESS_ROLE) or 0.0))
        bar.text = index.data(Qt.DisplayRole)
        bar.textVisible = True
        bar.textAlignment = Qt.AlignCenter
        bar.state = option.state | QStyle.State_Enabled | QStyle.State_Horizontal
        bar.palette = option.palette
        QApplication.style().drawControl(QStyle.CE_ProgressBar, bar, painter)
