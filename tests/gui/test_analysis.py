"""Analysis tab: open (also drag and drop), columns, axes, log scale, seed bands, legend, pages,
saving figures and result files."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDropEvent

from fl_pytorch import Config, load_result, run
from fl_pytorch.results.labels import label

from .conftest import QUADRATIC


@pytest.fixture(scope="module")
def result_files(tmp_path_factory):
    """Two seeds of one group (minibatch SGD, so they differ) and one other algorithm."""
    folder = tmp_path_factory.mktemp("results")
    base = Config(**{**QUADRATIC, "algorithm_options": "internal_sgd:sgd", "batch_size": 4},
                  rounds=6, quiet=True)
    configs = {"seed1": base.replace(group_name="g", manual_runtime_seed=1),
               "seed2": base.replace(group_name="g", manual_runtime_seed=2),
               "scaffold": base.replace(algorithm="scaffold")}
    for name, config in configs.items():
        run(config, out=folder / f"{name}.bin")
    return [folder / f"{name}.bin" for name in configs]


@pytest.fixture(scope="module")
def digits_file(tmp_path_factory):
    """A run of another problem (digits: no known solution, so no dist_to_solution)."""
    path = tmp_path_factory.mktemp("digits") / "digits.bin"
    run(Config(dataset="digits", rounds=1, num_clients_per_round=2, quiet=True), out=path)
    return path


def choose(combo, key):
    """Pick ``key`` in an axis combo (items carry the quantity name as data)."""
    index = combo.findData(key)
    combo.setCurrentIndex(index if index >= 0 else combo.findText(key))


def drop(widget, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dropEvent(event)
    return event


def test_open_drop_and_plot_seeds_as_a_band(window, result_files):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.open_files(result_files[:2]) == 2
    assert drop(tab, result_files[2:]).isAccepted()
    assert [e.name for e in tab.model.entries] == ["seed1", "seed2", "scaffold"]
    assert not tab.page().message.isVisible(), tab.page().message.text()
    ax = tab.page().figure.axes[0]
    loaded = [load_result(p) for p in result_files]
    assert len(ax.lines) == 2  # the group's mean line, and scaffold's line
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1  # the +- std band
    mean = (loaded[0]["metrics"]["loss"] + loaded[1]["metrics"]["loss"]) / 2
    np.testing.assert_allclose(ax.lines[0].get_ydata(), mean)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), loaded[2]["metrics"]["loss"])
    assert "mean ± std, 2 runs" in ax.get_legend().get_texts()[0].get_text()

    page = tab.page()
    settings = page.settings
    settings.choose("x", "bits_up_cum")
    settings.choose("y", "dist_to_solution")
    settings.log_y_check.setChecked(True)
    settings.group_combo.setCurrentText("(no grouping)")
    settings.group_combo.activated.emit(0)
    settings.legend_edit.setText("{algorithm} seed={manual_runtime_seed}")
    settings.legend_edit.editingFinished.emit()
    ax = tab.page().figure.axes[0]
    assert ax.get_yscale() == "log" and len(ax.lines) == 3
    np.testing.assert_allclose(ax.lines[2].get_xdata(), loaded[2]["metrics"]["bits_up_cum"])
    np.testing.assert_allclose(ax.lines[2].get_ydata(), loaded[2]["metrics"]["dist_to_solution"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == \
        ["fedavg seed=1", "fedavg seed=2", "scaffold seed=456"]
    assert tab.pages.tabText(0) == "distance to the solution vs bits sent uplink"
    assert ax.get_xlabel() == label("bits_up_cum") and ax.get_ylabel() == label("dist_to_solution")

    tab.model.setData(tab.model.index(2, 0), Qt.Unchecked, Qt.CheckStateRole)
    assert len(tab.page().figure.axes[0].lines) == 2


def test_bad_legend_and_bad_files_are_reported_not_raised(window, result_files, tmp_path):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files(result_files[:1])
    tab.page().settings.legend_edit.setText("{no_such_key}")
    tab.page().settings.legend_edit.editingFinished.emit()
    assert tab.page().message.isVisible()
    assert "unknown key 'no_such_key'" in tab.page().message.text()
    (tmp_path / "junk.bin").write_bytes(b"not a pickle")
    assert tab.open_files([tmp_path / "junk.bin", tmp_path / "missing.bin"]) == 0
    assert "junk.bin" in tab.message.text() and "missing.bin" in tab.message.text()
    assert len(tab.model.entries) == 1


def test_columns_can_be_chosen(window, result_files):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files(result_files)
    model = tab.model
    assert "config:global_lr" in model.available_columns()
    assert "final:dist_to_solution" in model.available_columns()
    model.set_column_shown("config:global_lr", True)
    headers = [model.headerData(i, Qt.Horizontal) for i in range(model.columnCount())]
    assert headers[-1] == "global_lr"
    assert model.data(model.index(0, len(headers) - 1)) == "1.0"
    model.set_column_shown("final:loss", False)
    assert "final loss" not in [model.headerData(i, Qt.Horizontal)
                                for i in range(model.columnCount())]
    menu = tab.columns_menu()
    checked = {a.text() for a in menu.actions() if a.isChecked()}
    assert "global_lr" in checked and "final loss" not in checked


def test_pages_figures_and_result_files_are_saved(window, result_files, tmp_path):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files(result_files)
    second = tab.add_page()
    assert tab.pages.count() == 2 and tab.page() is second
    second.settings.choose("y", "direction_norm")
    assert tab.pages.tabText(1) == "norm of the server direction vs rounds"
    assert tab.pages.tabText(0) == "loss vs rounds"
    magic = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}
    for ext, head in magic.items():
        path = second.save(tmp_path / f"figure.{ext}")
        assert path.read_bytes().startswith(head)
    with pytest.raises(ValueError, match="valid extensions"):
        second.save(tmp_path / "figure.bmp")
    for ext, head in magic.items():  # the legend alone, for a caption under several figures
        path = second.save_legend(tmp_path / f"legend.{ext}")
        assert path.read_bytes().startswith(head)

    written = window.save_runs(tmp_path / "saved", tab.model.entries)
    assert [p.name for p in written] == ["seed1.bin", "seed2.bin", "scaffold.bin"]
    for original, copy in zip(result_files, written):
        np.testing.assert_array_equal(load_result(copy)["final_params"],
                                      load_result(original)["final_params"])


def test_y_choice_is_kept_when_a_run_without_that_metric_is_added(window, result_files,
                                                                   digits_file):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files(result_files[2:])
    page = tab.page()
    choose(page.y_combo, "dist_to_solution")
    page.y_combo.activated.emit(page.y_combo.currentIndex())  # as a user's pick
    tab.open_files([digits_file])  # digits has no known solution: no dist_to_solution
    assert page.y_combo.currentData() == "dist_to_solution"
    assert page.y_combo.currentText() == f"{label('dist_to_solution')} (1 of 2 runs)"
    ax = page.figure.axes[0]
    assert ax.get_ylabel() == label("dist_to_solution")
    assert len(ax.lines) == 1  # the quadratic run; the digits run cannot be drawn...
    assert page.message.isVisible()  # ...and the page says so, naming it
    assert page.message.text() == f"Not drawn, no {label('dist_to_solution')} recorded: digits"
    page.settings.choose("y", "loss")  # both are drawn now: runs of two problems, one plot
    assert len(page.figure.axes[0].lines) == 2
    assert "different problems" in page.message.text() and "digits" in page.message.text()


def no_grouping(page):
    page.settings.group_combo.setCurrentText("(no grouping)")
    page.settings.group_combo.activated.emit(0)


def test_run_table_sorts_and_moves_and_the_legend_follows(window, qtbot, result_files):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files(result_files)
    page = tab.page()
    no_grouping(page)
    assert page.legend_entries() == ["fedavg manual_runtime_seed=1",
                                     "fedavg manual_runtime_seed=2",
                                     "scaffold manual_runtime_seed=456"]
    header = tab.table.horizontalHeader()
    column = tab.model.columns.index("name")
    click = QPoint(header.sectionViewportPosition(column) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=click)  # sort by name
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=click)  # ...descending
    assert [e.name for e in tab.model.entries] == ["seed2", "seed1", "scaffold"]
    assert page.legend_entries()[0] == "fedavg manual_runtime_seed=2"

    tab.table.selectRow(2)
    tab.up_button.click()
    assert [e.name for e in tab.model.entries] == ["seed2", "scaffold", "seed1"]
    assert [i.row() for i in tab.table.selectionModel().selectedRows()] == [1]  # follows
    assert page.legend_entries()[1] == "scaffold manual_runtime_seed=456"
    assert header.sortIndicatorSection() == -1  # a custom order now, no sorted column
    tab.down_button.click()
    assert [e.name for e in tab.model.entries] == ["seed2", "seed1", "scaffold"]


def test_run_table_grows_with_its_runs_until_the_user_sizes_it(window, result_files):
    window.resize(1360, 900)
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    row = tab.table.verticalHeader().defaultSectionSize()
    for _ in range(3):
        tab.open_files(result_files)
    assert tab.model.rowCount() == 9
    assert tab.splitter.sizes()[0] >= 9 * row  # all nine rows show
    tab.splitter.moveSplitter(6 * row, 1)  # the user drags the splitter
    sized = tab.splitter.sizes()[0]
    tab.open_files(result_files)
    assert tab.splitter.sizes()[0] == sized


def test_style_controls_and_legend_fields(window, result_files, tmp_path):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files(result_files)
    page, settings = tab.page(), tab.page().settings
    no_grouping(page)
    settings.marker_combo.setCurrentText("circle")
    settings.line_style_combo.setCurrentText("cycle")
    settings.legend_place_combo.setCurrentText("outside right")
    settings.width_spin.setValue(3.0)
    settings.font_spin.setValue(14)  # each value change redraws
    settings.title_edit.setText("My runs")
    settings.title_edit.editingFinished.emit()
    ax = page.figure.axes[0]
    assert [line.get_marker() for line in ax.lines] == ["o"] * 3
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--", ":"]
    assert {line.get_linewidth() for line in ax.lines} == {3.0}
    assert ax.get_title() == "My runs" and ax.yaxis.label.get_fontsize() == 14
    assert ax.get_legend().get_texts()[0].get_fontsize() == 14
    settings.title_edit.clear()
    settings.title_edit.editingFinished.emit()
    assert page.figure.axes[0].get_title() == "loss vs rounds"
    menu = settings.legend_fields.menu()
    next(a for a in menu.actions() if a.text() == "local_lr").trigger()
    assert settings.legend_edit.text() == "{local_lr}"
    assert page.legend_entries() == ["0.2"] * 3  # the user's template is used as typed


ORIGINAL_X_CHOICES = {  # the original FL_PyTorch's 22 x-axis choices -> the quantity here
    "Rounds": "round", "Time (minutes)": "wall_time_min",
    "Time per one communication round (minutes)": "round_time_min",
    "Norm of server stochastic gradient (proxy train)": "direction_norm",
    "Running function value (proxy train)": "loss",
    "Norm of function gradient square(train)": "full_gradient_norm_sq_train",
    "Function value (train)": "full_objective_value_train",
    "Distance to solution squared (train)": "dist_to_solution_sq",
    "Norm of iterate at round start (train)": None,  # not recorded by the engine
    "Norm of function gradient square(validation)": None,  # not recorded by the engine
    "Function value (validation)": "loss", "GPU Memory (Megabytes)": "gpu_memory_mb",
    "GPU Memory (Gigabytes)": "gpu_memory_gb",
    "# of bits from clients/#workers": "bits_up_per_participant_cum",
    "# of bits from clients/#total workers": "bits_up_per_client_cum",
    "# of bits from clients": "bits_up_cum", "Full gradient oracles (train)": "oracle_grad_full",
    "Sample gradient oracles (train)": "oracle_grad_samples", "Loss (validation)": "loss",
    "Top1 acc (validation)": "top1_acc", "Top5 acc (validation)": "top5_acc",
    "Number of compute devices": "compute_devices"}


def test_axes_offer_the_original_tools_choices(window, tmp_path, digits_file):
    extras = tmp_path / "extras.bin"
    run(Config(**QUADRATIC, rounds=2, quiet=True,
               extra_track="full_gradient_norm_train,full_objective_value_train"), out=extras)
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    tab.open_files([extras, digits_file])
    for combo in (tab.page().x_combo, tab.page().y_combo):
        offered = {combo.itemData(i) for i in range(combo.count())}
        assert len(ORIGINAL_X_CHOICES) == 22
        missing = {k for k, v in ORIGINAL_X_CHOICES.items() if v and v not in offered}
        assert not missing
        assert {"bits_down_cum", "bits_total_cum", "clients_cum", "bits_up_round"} <= offered
        assert all(combo.itemText(i) and "_" not in combo.itemText(i).split(" (")[0]
                   for i in range(combo.count()))  # friendly labels, not raw keys
