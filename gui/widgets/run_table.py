"""The look shared by the run tables of the Simulation and Analysis tabs."""

from __future__ import annotations

from PyQt5.QtCore import QAbstractItemModel
from PyQt5.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def run_table(model: QAbstractItemModel) -> QTableView:
    """A row-selecting, multi-select table of ``model`` with sized columns, the last stretched."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setSelectionMode(QAbstractItemView.ExtendedSelection)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeToContents)
    header.setStretchLastSection(True)
    return table
