"""Analysis tab: result files and this session's runs, chosen columns, and several plot pages.

Runs launched from the GUI appear here at once and their curves are redrawn as rounds arrive.
Result files are opened with Ctrl+O, the Open button, or by dropping them on the tab. The run
table sorts by any column (click its header) and its rows move up and down; its order is the
order of the lines and legend entries. It grows with its runs, and the splitter between table
and plots can be dragged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QDragEnterEvent, QDropEvent, QShowEvent
from PyQt5.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fl_pytorch.results import ResultError, load_result
from fl_pytorch.results.selection import expand_paths

from ..runner import Runner
from ..state import LoadedRun, RunRecord
from ..widgets.analysis_model import AnalysisModel, column_title
from ..widgets.plot_page import PlotPage
from ..widgets.run_table import run_table

LOG = logging.getLogger("fl_pytorch.gui")
LIVE_REDRAW_MS = 1000  # live runs: at most one redraw a second
TABLE_ROWS_SHOWN = 12  # the table grows with its runs up to this many rows (then it scrolls)
TABLE_SHARE_MAX = 0.45  # ... and up to this share of the tab's height


class AnalysisTab(QWidget):
    """Loaded runs (table) above plot pages (tabs)."""

    def __init__(self, runner: Runner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.model = AnalysisModel(self)
        self.model.plotted_changed.connect(self.redraw)
        self.table = run_table(self.model)
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.AscendingOrder)  # table order = launch/open order
        self.table.setSortingEnabled(True)
        header.setContextMenuPolicy(Qt.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda pos: self.columns_menu().exec_(header.mapToGlobal(pos)))

        bar = self._toolbar()
        self.message = QLabel()
        self.error_box: QMessageBox | None = None  # the last "cannot open" message box
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.hide()

        self.pages = QTabWidget()
        self.pages.tabCloseRequested.connect(self._close_page)
        self.pages.currentChanged.connect(self.redraw)
        self.splitter = QSplitter(Qt.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(7)
        self.splitter.handle(1).setToolTip("Drag to give the run table more or less room")
        self.splitter.splitterMoved.connect(self._table_sized_by_user)
        self._user_sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(LIVE_REDRAW_MS)
        self._stale = False
        self._redraw_timer.timeout.connect(self.redraw)
        runner.run_added.connect(self.add_session_run)
        runner.run_updated.connect(self._run_changed)
        runner.run_ended.connect(self._run_changed)
        self.add_page()


    def _toolbar(self) -> QHBoxLayout:
        """Open, remove, columns, up/down and new-page buttons."""
        open_button = QPushButton("Open results…")
        open_button.clicked.connect(self.open_dialog)
        remove_button = QPushButton("Remove")
        remove_button.setToolTip("Remove the selected runs from this table")
        remove_button.clicked.connect(self.remove_selected)
        columns_button = QToolButton()
        columns_button.setText("Columns")
        columns_button.setPopupMode(QToolButton.InstantPopup)
        columns_button.setToolTip("Choose the table's columns (also: right-click the header)")
        columns_button.setMenu(QMenu(columns_button))
        columns_button.menu().aboutToShow.connect(
            lambda: self._fill_columns_menu(columns_button.menu()))
        self.up_button = QToolButton()
        self.up_button.setArrowType(Qt.UpArrow)
        self.up_button.setText("Up")
        self.up_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.up_button.setToolTip("Move the selected runs up (their lines and legend entries too)")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QToolButton()
        self.down_button.setArrowType(Qt.DownArrow)
        self.down_button.setText("Down")
        self.down_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.down_button.setToolTip("Move the selected runs down")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        new_page = QPushButton("New plot page")
        new_page.clicked.connect(self.add_page)
        bar = QHBoxLayout()
        for widget in (open_button, remove_button, columns_button, self.up_button,
                       self.down_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(new_page)
        return bar

    # ------------------------------------------------------------------ pages
    def page(self) -> PlotPage:
        """The plot page shown."""
        return self.pages.currentWidget()

    def add_page(self) -> PlotPage:
        """Open a new plot page (each has its own axes, scale, grouping and legend)."""
        page = PlotPage()
        page.settings_changed.connect(self.redraw)
        self.pages.addTab(page, page.title())
        self.pages.setTabsClosable(self.pages.count() > 1)
        self.pages.setCurrentWidget(page)
        self.redraw()
        return page

    def _close_page(self, index: int) -> None:
        if self.pages.count() > 1:
            self.pages.widget(index).deleteLater()
            self.pages.removeTab(index)
        self.pages.setTabsClosable(self.pages.count() > 1)

    def redraw(self) -> None:
        """Redraw the shown page with the checked runs (later, if the tab is hidden)."""
        page = self.page()
        if page is None:
            return
        if not self.isVisible():  # drawing costs the GUI thread; do it when the tab is shown
            self._stale = True
            return
        self._stale = False
        runs = [(e.name, r) for e, r in ((e, e.result) for e in self.model.plotted())
                if len(r["metrics"].get("round", ()))]  # runs with at least one row
        page.redraw(runs)
        self.pages.setTabText(self.pages.indexOf(page), page.title())

    def showEvent(self, event: QShowEvent) -> None:
        """Draw what changed while the tab was hidden."""
        super().showEvent(event)
        if self._stale:
            self.redraw()

    # ------------------------------------------------------------------ runs
    def add_session_run(self, record: RunRecord) -> None:
        """Show a run launched in this session (plotted live)."""
        self.model.add(LoadedRun(record.name, "this session", record=record))
        self.fit_table()
        self._redraw_timer.start()

    def _run_changed(self, record: RunRecord) -> None:
        for entry in self.model.entries:
            if entry.record is record:
                self.model.refresh(entry)
                if entry.plotted and not self._redraw_timer.isActive():
                    self._redraw_timer.start()

    def open_files(self, paths: Iterable[str | Path]) -> int:
        """Load result files; return how many loaded. Bad files are reported, not raised.

        A folder stands for its result files, a sweep's folder for the sweep's runs.
        """
        errors, loaded = [], 0
        try:
            paths = expand_paths(list(paths))
        except ValueError as e:  # a broken sweep index
            errors, paths = [str(e)], []
        for path in paths:
            try:
                result = load_result(path)
            except (OSError, ResultError, MemoryError) as e:  # any file: a message, no crash
                errors.append(str(e) or type(e).__name__)
                LOG.warning("%s", errors[-1])
                continue
            self.model.add(LoadedRun(Path(path).stem, str(path), loaded=result))
            loaded += 1
        self.fit_table()
        self.message.setText("\n".join(errors))
        self.message.setVisible(bool(errors))
        if errors:
            self.error_box = QMessageBox(QMessageBox.Warning, "Cannot open result files",
                                         "\n".join(errors), QMessageBox.Ok, self)
            self.error_box.open()  # window-modal, does not block the event loop
        if loaded:
            LOG.info("opened %d result file(s)", loaded)
            self.redraw()
        return loaded

    def open_dialog(self) -> None:
        """Ask for result files and load them."""
        paths, _ = QFileDialog.getOpenFileNames(self, "Open result files", "",
                                                "Result files (*.bin *.pkl);;All files (*)")
        self.open_files(paths)

    def open_folder_dialog(self) -> None:
        """Ask for a folder (e.g. a sweep's) and load its result files."""
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of result files")
        if folder:
            self.open_files([folder])

    def selected_entries(self) -> list[LoadedRun]:
        """The selected runs, in table order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.entries[r] for r in rows]

    def move_selected(self, step: int) -> None:
        """Move the selected runs one row up (-1) or down (+1); the plot follows the order."""
        self.model.move_rows([i.row() for i in self.table.selectionModel().selectedRows()], step)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)  # custom order

    def fit_table(self) -> None:
        """Grow the table to show its runs (up to a limit), unless the user sized it."""
        if self._user_sized:
            return
        rows = min(max(self.model.rowCount(), 5), TABLE_ROWS_SHOWN)
        wanted = self.table.horizontalHeader().sizeHint().height() + 4 + \
            rows * self.table.verticalHeader().defaultSectionSize()
        total = sum(self.splitter.sizes()) or self.splitter.height()
        table = min(wanted, int(total * TABLE_SHARE_MAX)) if total > 0 else wanted
        self.splitter.setSizes([table, max(total - table, 1)])

    def _table_sized_by_user(self) -> None:
        self._user_sized = True

    def resizeEvent(self, event) -> None:
        """Keep the table fitted to its runs while the user has not dragged the splitter."""
        super().resizeEvent(event)
        self.fit_table()

    def remove_selected(self) -> None:
        """Remove the selected runs from the table (files stay on disk)."""
        self.model.remove_rows([i.row() for i in self.table.selectionModel().selectedRows()])
        self.redraw()

    # ------------------------------------------------------------------ columns
    def columns_menu(self) -> QMenu:
        """A menu of check-able columns."""
        menu = QMenu(self)
        self._fill_columns_menu(menu)
        return menu

    def _fill_columns_menu(self, menu: QMenu) -> None:
        menu.clear()
        for column in self.model.available_columns():
            action = menu.addAction(column_title(column))
            action.setCheckable(True)
            action.setChecked(column in self.model.columns)
            action.toggled.connect(lambda on, c=column: self.model.set_column_shown(c, on))

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_files(paths)
