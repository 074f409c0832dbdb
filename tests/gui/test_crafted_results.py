"""Any file dropped on the analysis tab gives a message box; the GUI keeps running.

An exception escaping a Qt event handler aborts a PyQt application; these files raised one or
worse: a 7 KB file of deeply nested lists (it used to abort the
GUI), a few hundred bytes declaring a 10**8-element array (it used to cost gigabytes), a dict
key of a million nested tuples (it used to crash CPython itself).
"""

from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDropEvent

from fl_pytorch import Config, run
from tests.fuzz.result_files import deep_nesting, deep_tuple_key, huge_declared_array

from .conftest import QUADRATIC


def _drop(widget, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    widget.dropEvent(event)  # what Qt calls; an exception here would abort a real GUI
    return event


def test_crafted_files_dropped_on_the_analysis_tab_give_a_message_box(window, qtbot, tmp_path):
    tab = window.analysis_tab
    window.tabs.setCurrentWidget(tab)
    crafted = {"deep.bin": (deep_nesting(), "nested more than 32 levels deep"),
               "huge.bin": (huge_declared_array(), "an array of 800000000 bytes declared"),
               "tuples.bin": (deep_tuple_key(), "tuples nested more than 32 deep")}
    for name, (data, _) in crafted.items():
        (tmp_path / name).write_bytes(data)
    for name, (_, reason) in crafted.items():
        assert _drop(tab, [tmp_path / name]).isAccepted()
        qtbot.waitUntil(lambda: tab.error_box is not None and tab.error_box.isVisible())
        assert name in tab.error_box.text() and reason in tab.error_box.text()
        tab.error_box.accept()
    assert tab.model.entries == [] and window.isVisible()
    good = tmp_path / "good.bin"  # and the GUI still works
    run(Config(**QUADRATIC, rounds=2, quiet=True), out=good)
    assert tab.open_files([good]) == 1
    assert [e.name for e in tab.model.entries] == ["good"]
