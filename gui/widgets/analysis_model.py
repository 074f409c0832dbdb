"""Table model of the Analysis tab's runs.

A check box per run (plot it or not), and columns the user picks among the run's name, status,
configuration options and final metric values. Sorting (a click on a header) and moving rows
reorder the runs themselves, so the table's order is the order of the plot's lines and legend.
"""

from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal

from ..state import LoadedRun

DEFAULT_COLUMNS = ["name", "status", "config:algorithm", "config:client_compressor",
                   "config:group_name", "config:manual_runtime_seed", "rounds", "final:loss",
                   "source"]


def sort_key(value: Any) -> tuple[int, Any]:
    """Numbers before text (each in natural order), empty cells last."""
    if value is None or value == "":
        return (2, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value).lower())


def column_title(column: str) -> str:
    """Header text: ``config:global_lr`` -> ``global_lr``, ``final:loss`` -> ``final loss``."""
    kind, _, key = column.partition(":")
    return {"config": key, "final": f"final {key}"}.get(kind, column)


class AnalysisModel(QAbstractTableModel):
    """Rows are :class:`LoadedRun` entries; column 0 carries the "plotted" check box.

    Signals:
        plotted_changed: a check box was toggled.
    """

    plotted_changed = pyqtSignal()

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.entries: list[LoadedRun] = []
        self.columns: list[str] = list(DEFAULT_COLUMNS)

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.DisplayRole) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return column_title(self.columns[section])
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        return flags | Qt.ItemIsUserCheckable if index.column() == 0 else flags

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        entry = self.entries[index.row()]
        if role == Qt.CheckStateRole and index.column() == 0:
            return Qt.Checked if entry.plotted else Qt.Unchecked
        if role == Qt.DisplayRole:
            column = self.columns[index.column()]
            value = entry.cell(column)
            if value is None:
                return ""
            return f"{value:.6g}" if column.startswith("final:") else str(value)
        if role == Qt.ToolTipRole:
            return entry.result.get("command_line") or entry.source
        return None

    def setData(self, index: QModelIndex, value: Any,
                role: int = Qt.EditRole) -> bool:
        if role != Qt.CheckStateRole or index.column() != 0:
            return False
        self.entries[index.row()].plotted = value == Qt.Checked
        self.dataChanged.emit(index, index)
        self.plotted_changed.emit()
        return True

    # ------------------------------------------------------------------ entries
    def add(self, entry: LoadedRun) -> None:
        """Append a run."""
        n = len(self.entries)
        self.beginInsertRows(QModelIndex(), n, n)
        self.entries.append(entry)
        self.endInsertRows()

    def remove_rows(self, rows: list[int]) -> None:
        """Remove the runs in ``rows``."""
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.entries[row]
            self.endRemoveRows()

    def refresh(self, entry: LoadedRun) -> None:
        """Re-read ``entry``'s row (a live run got new rows)."""
        row = self.entries.index(entry)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        """Reorder the runs by ``column`` (a header click); column -1 keeps the order."""
        if 0 <= column < len(self.columns):
            self._reorder(sorted(self.entries, key=lambda e: sort_key(e.cell(self.columns[column])),
                                 reverse=order == Qt.DescendingOrder))

    def move_rows(self, rows: list[int], step: int) -> None:
        """Move the runs in ``rows`` one place up (step -1) or down (+1), keeping them selected."""
        moving = sorted(set(rows), reverse=step > 0)
        if not moving or not 0 <= moving[0] + step < len(self.entries):
            return
        entries = list(self.entries)
        for row in moving:
            entries[row + step], entries[row] = entries[row], entries[row + step]
        self._reorder(entries)

    def _reorder(self, entries: list[LoadedRun]) -> None:
        """Show ``entries`` (the same runs in a new order); selections follow their runs."""
        self.layoutAboutToBeChanged.emit()
        new_row = {id(e): row for row, e in enumerate(entries)}
        old_to_new = [new_row[id(e)] for e in self.entries]
        self.entries = entries
        old = self.persistentIndexList()
        self.changePersistentIndexList(old, [self.index(old_to_new[i.row()], i.column())
                                             for i in old])
        self.layoutChanged.emit()
        self.plotted_changed.emit()

    def plotted(self) -> list[LoadedRun]:
        """The checked runs."""
        return [e for e in self.entries if e.plotted]

    # ------------------------------------------------------------------ columns
    def available_columns(self) -> list[str]:
        """Every column the loaded runs offer."""
        columns = ["name", "status", "rounds", "source"]
        for entry in self.entries:
            result = entry.result
            columns += [c for c in (f"config:{k}" for k in result["config"]) if c not in columns]
            columns += [c for c in (f"final:{m}" for m in result["metrics"]) if c not in columns]
        return columns + [c for c in DEFAULT_COLUMNS if c not in columns]

    def set_column_shown(self, column: str, shown: bool) -> None:
        """Show or hide a column (the first column, with the check boxes, stays)."""
        if shown == (column in self.columns) or (not shown and self.columns[0] == column):
            return
        self.beginResetModel()
        if shown:
            self.columns.append(column)
        else:
            self.columns.remove(column)
        self.endResetModel()
