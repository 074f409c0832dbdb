"""Menus, hotkeys, dialogs (command line, log, remote machines, About), settings, status bar."""

import logging
import platform
import threading

import numpy as np
import pytest
import torch
from PyQt5.QtCore import QSettings, Qt
from PyQt5.QtWidgets import QApplication, QDialog

from fl_pytorch import Config
from fl_pytorch.cli_line import command_line
from gui.dialogs.remote_machines import RemoteMachinesDialog, load_machines
from gui.remote import RemoteMachine, parse_remote_machine


def press(qtbot, window, key):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, key)


def test_f6_f7_move_between_tabs_and_f1_f2_f3_open_dialogs(window, qtbot):
    assert window.tabs.currentIndex() == 0
    press(qtbot, window, Qt.Key_F7)
    assert window.tabs.currentWidget() is window.simulation_tab
    press(qtbot, window, Qt.Key_F7)
    press(qtbot, window, Qt.Key_F7)
    assert window.tabs.currentIndex() == 0
    press(qtbot, window, Qt.Key_F6)
    assert window.tabs.currentWidget() is window.analysis_tab
    press(qtbot, window, Qt.Key_F2)
    assert window.log_window.isVisible()
    window.log_window.close()
    press(qtbot, window, Qt.Key_F3)
    press(qtbot, window, Qt.Key_F1)
    titles = {d.windowTitle() for d in window.findChildren(QDialog) if d.isVisible()}
    assert {"Remote machines", "About FL_PyTorch"} <= titles


def test_menus_hold_the_documented_actions(window):
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString()
                 for menu in window.menuBar().findChildren(type(window.style_menu))
                 for a in menu.actions()}
    assert shortcuts["Open results…"] == "Ctrl+O"
    assert shortcuts["Save all…"] == "Ctrl+S"
    assert "Save selected…" in shortcuts and "Exit" in shortcuts
    assert shortcuts["Log window"] == "F2" and shortcuts["Remote machines…"] == "F3"
    assert shortcuts["About"] == "F1" and shortcuts["Launch"] == "F5"
    assert shortcuts["Previous tab"] == "F6" and shortcuts["Next tab"] == "F7"


def test_command_line_dialog_for_the_form_with_copy(window, qtbot):
    window.config_tab.editors["rounds"].set_value("17")
    window.config_tab.editors["comment"].set_value("two words")
    dialog = window.show_form_command_line()
    expected = Config(rounds=17, comment="two words")
    assert dialog.text.toPlainText() == command_line(expected)
    assert "--comment 'two words'" in dialog.text.toPlainText()
    dialog.multi.setChecked(True)
    assert dialog.text.toPlainText() == command_line(expected, multiline=True)
    qtbot.mouseClick(dialog.copy_button, Qt.LeftButton)
    assert QApplication.clipboard().text() == command_line(expected, multiline=True)


def test_command_line_of_an_invalid_form_is_refused(window):
    window.config_tab.editors["rounds"].set_value("-3")
    assert window.show_form_command_line() is None
    assert window.config_tab.status_line.text().startswith("Cannot launch: 1 invalid option")


def test_log_window_shows_engine_records_from_other_threads_with_level_filter(window, qtbot):
    log = window.show_log()
    logger = logging.getLogger("fl_pytorch.core")
    thread = threading.Thread(target=lambda: (logger.info("hello from a thread"),
                                              logger.warning("careful")))
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: "careful" in log.view.toPlainText())
    assert "hello from a thread" in log.view.toPlainText()
    log.set_level("WARNING")
    assert "hello from a thread" not in log.view.toPlainText()
    assert "careful" in log.view.toPlainText()
    logger.debug("not recorded at WARNING")
    log.set_level("DEBUG")
    assert "hello from a thread" in log.view.toPlainText()
    assert "not recorded" not in log.view.toPlainText()
    system = log.system.toPlainText()
    assert "CPU" in system and "GPUs" in system and torch.__version__ in system


def test_about_box_lists_versions_and_links(window):
    text = window.show_about().text.text()
    for version in (platform.python_version(), torch.__version__, np.__version__,
                    "5.15"):  # Qt
        assert version in text
    assert "CUDA" in text and "arxiv.org" in text


@pytest.mark.parametrize("text,message", [
    ("node7:29500", "expected host:port:device"),
    ("node7:99999:cpu", "invalid port"),
    ("node 7:29500:cpu", "invalid host"),
    ("node7:29500:tpu", "invalid device"),
])
def test_remote_machine_entries_are_checked(text, message):
    with pytest.raises(ValueError, match=message):
        parse_remote_machine(text)


def test_remote_machines_dialog_keeps_its_list_in_the_settings(window, tmp_path):
    assert parse_remote_machine(" gpu7:29500:cuda:1 ") == RemoteMachine("gpu7", 29500, "cuda:1")
    dialog = window.show_remote_machines()
    for text in ("gpu7:29500:cuda:1", "10.0.0.2:29501:cpu"):
        dialog.entry.setText(text)
        assert dialog.add_entry()
    dialog.entry.setText("gpu7:29500:cuda:1")
    assert not dialog.add_entry() and "already" in dialog.error.text()
    dialog.entry.setText("gpu7:0:cpu")
    assert not dialog.add_entry() and "invalid port" in dialog.error.text()
    dialog.table.selectRow(1)
    dialog.remove_selected()
    dialog.accept()
    stored = QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat)
    assert [str(m) for m in load_machines(stored)] == ["gpu7:29500:cuda:1"]
    assert RemoteMachinesDialog(stored).machines() == ["gpu7:29500:cuda:1"]


def test_style_and_font_size_are_applied_and_remembered(window, tmp_path):
    window.apply_appearance(style="Fusion", font_size=12)
    assert QApplication.font().pointSize() == 12
    assert QApplication.style().objectName().lower() == "fusion"
    stored = QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat)
    assert stored.value("font_size", type=int) == 12 and stored.value("style") == "Fusion"
    checked = [a.text() for a in window.font_menu.actions() if a.isChecked()]
    assert checked == ["12 pt"]


def test_status_bar_shows_cpu_ram_and_the_gpu_state(window):
    snapshot = window.monitor.refresh()
    assert 0 <= window.monitor.cpu.value() <= 100
    assert 0 < window.monitor.ram.value() <= 100
    if snapshot.has_gpu:
        assert len(window.monitor.gpu_bars) == len(snapshot.gpus)
        assert not window.monitor.no_gpu.isVisible()
    else:
        assert window.monitor.no_gpu.isVisible() and window.monitor.no_gpu.text() == "no GPU"
        assert window.monitor.no_gpu.toolTip().startswith("no GPU: ")
