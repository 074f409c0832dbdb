"""Shared test set-up: Qt offscreen before any QApplication exists, small config factories."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

from fl_pytorch import Config  # noqa: E402

QUAD_SPEC = "clients:10,samples_per_client:50,variables:10,homogeneous:0,l:2,mu:1"


@pytest.fixture
def quad_config():
    """A factory of float64 quadratic configs with full participation and full gradients."""
    def make(**changes) -> Config:
        base = dict(dataset="generated_for_quadratic_minimization",
                    dataset_generation_spec=QUAD_SPEC,
                    model="linear", loss="mse", compute_type="fp64",
                    client_sampling_type="full", algorithm_options="internal_sgd:full-gradient",
                    run_local_steps=True, number_of_local_iters=1, quiet=True)
        base.update(changes)
        return Config(**base)
    return make


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    """The GUI's main window (offscreen), shown, with private settings, working in tmp_path;
    its runs are stopped at the end. Qt is imported only by the tests that use it."""
    from PyQt5.QtCore import QSettings

    from gui.main_window import MainWindow
    monkeypatch.chdir(tmp_path)
    win = MainWindow(QSettings(str(tmp_path / "gui.ini"), QSettings.IniFormat))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.runner.shutdown()
