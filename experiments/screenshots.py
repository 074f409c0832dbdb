"""Screenshots of the GUI's tabs for the documentation, taken from a real window under Xvfb.

    python experiments/screenshots.py [--out docs/images] [--rounds 200]

Starts a private virtual X display (unless ``--use-display`` is given), opens the main window,
fills the form with the paper's quadratic problem, launches FedAvg, SCAFFOLD, DCGD, DIANA and
MARINA, and grabs the Configuration, Simulation (one run still going) and Analysis tabs, plus
the command-line dialog, as PNG files. On its own display, with openbox installed, it also grabs
the whole screen as VNC mode shows it (window manager frames, the About box on top).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEC = "clients:10,samples_per_client:100,variables:20,homogeneous:0,l:2,mu:1"
QUADRATIC = dict(dataset="generated_for_quadratic_minimization", dataset_generation_spec=SPEC,
                 model="linear", loss="mse", metric="dist_to_solution", compute_type="fp64",
                 client_sampling_type="full", algorithm_options="internal_sgd:full-gradient",
                 run_local_steps=True, group_name="quadratic")
LOCAL_STEPS = dict(number_of_local_iters=5, local_lr=0.1)
COMPRESSED = dict(client_compressor="randk:40%", global_lr=0.25)
RUNS = [dict(algorithm="fedavg", **LOCAL_STEPS), dict(algorithm="scaffold", **LOCAL_STEPS),
        dict(algorithm="dcgd", **COMPRESSED), dict(algorithm="diana", **COMPRESSED),
        dict(algorithm="marina", **COMPRESSED)]


def _fill(window, **values) -> None:
    """Put the quadratic problem with ``values`` on top into the form."""
    from fl_pytorch import Config
    window.config_tab.set_config(Config(**{**QUADRATIC, **values}))


def _wait(app, condition, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the GUI did not reach the expected state")
        app.processEvents()
        time.sleep(0.02)


def _grab(app, widget, path: Path) -> None:
    """Capture ``widget``'s window from the screen (what a user sees), as PNG."""
    for _ in range(10):
        app.processEvents()
        time.sleep(0.05)
    window = widget.window()
    pixmap = window.screen().grabWindow(0, window.x(), window.y(), window.frameGeometry().width(),
                                        window.frameGeometry().height())
    if not pixmap.save(str(path)):
        raise OSError(f"cannot write {path}")
    print(f"wrote {path}")


def take(out: Path, rounds: int, size: tuple[int, int], desktop: bool = False) -> list[Path]:
    """Drive the GUI and write the screenshots into ``out`` (``desktop``: also gui_vnc.png)."""
    from PyQt5.QtCore import QSettings
    from PyQt5.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    from gui.main_window import MainWindow

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fl_pytorch_shots_") as work:
        home = Path.cwd()
        os.chdir(work)  # result files of the runs go to work/results
        try:
            window = MainWindow(QSettings(str(Path(work) / "gui.ini"), QSettings.IniFormat))
            paths = _drive(app, window, out, rounds, size)
            if desktop:
                paths.append(_desktop(app, window, out / "gui_vnc.png", Path(work)))
            window.close()
            return paths
        finally:
            os.chdir(home)


def _drive(app, window, out: Path, rounds: int, size: tuple[int, int]) -> list[Path]:
    """Fill the form, launch the runs, grab each tab; return the PNG paths."""
    from PyQt5.QtCore import Qt

    window.apply_appearance(style="Fusion", font_size=10)
    window.resize(*size)
    window.move(0, 0)
    window.show()
    paths = [out / f"gui_{name}.png" for name in ("configuration", "simulation", "analysis",
                                                  "command_line")]

    _fill(window, rounds=rounds, **RUNS[1])
    window.config_tab.scroll.verticalScrollBar().setValue(0)
    _grab(app, window, paths[0])

    records = []
    for changes in RUNS:
        _fill(window, rounds=rounds, **changes)
        records.append(window.launch())
    _fill(window, rounds=100 * rounds, algorithm="fedprox", eval_every=10,
          algorithm_options="internal_sgd:full-gradient,mu_prox:0.1", **LOCAL_STEPS)
    slow = window.launch()
    _wait(app, lambda: not any(r.active for r in records) and slow.progress > 0.02)
    window.simulation_tab.select(records[1])
    _grab(app, window, paths[1])
    window.runner.stop(slow)
    _wait(app, lambda: not slow.active)

    tab = window.analysis_tab
    tab.model.setData(tab.model.index(len(records), 0), Qt.Unchecked, Qt.CheckStateRole)
    window.tabs.setCurrentWidget(tab)
    settings = tab.page().settings
    settings.choose("x", "bits_up_cum")
    settings.choose("y", "dist_to_solution")
    settings.log_y_check.setChecked(True)
    settings.group_combo.setCurrentText("(no grouping)")
    settings.legend_place_combo.setCurrentText("upper right")
    tab.redraw()
    _grab(app, window, paths[2])

    dialog = window.show_command_line(records[1].config, records[1].name)
    dialog.multi.setChecked(True)
    dialog.move(window.x() + 120, window.y() + 120)
    _grab(app, dialog, paths[3])
    dialog.close()
    return paths


def _desktop(app, window, path: Path, work: Path) -> Path:
    """The whole screen in VNC mode: openbox's frames, the window filling it, a dialog on top."""
    from gui.vnc import WINDOW_MANAGER, start_window_manager
    from gui.xvfb import stop_process

    manager = start_window_manager(WINDOW_MANAGER, dict(os.environ), work / "wm.log")
    try:
        _wait(app, lambda: window.frameGeometry().height() > window.geometry().height())
        window.fit_to_screen(fill=True)
        window.showMaximized()
        about = window.show_about()
        _wait(app, lambda: about.frameGeometry().height() > about.geometry().height())
        for _ in range(10):
            app.processEvents()
            time.sleep(0.05)
        if not window.screen().grabWindow(0).save(str(path)):
            raise OSError(f"cannot write {path}")
        print(f"wrote {path}")
        about.close()
        return path
    finally:
        if manager is not None:
            stop_process(manager)


def main() -> int:
    """Parse the arguments, start Xvfb if needed, take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--size", default="1360x860", help="window size WIDTHxHEIGHT")
    parser.add_argument("--use-display", action="store_true",
                        help="use $DISPLAY instead of a private Xvfb display")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    out = args.out.resolve()
    if args.use_display:
        take(out, args.rounds, size)
        return 0
    from gui.vnc import WINDOW_MANAGER
    from gui.xvfb import missing_binaries, virtual_display
    with virtual_display(f"{size[0] + 40}x{size[1] + 40}") as env:
        os.environ.update(env)
        take(out, args.rounds, size, desktop=not missing_binaries(WINDOW_MANAGER))
    return 0


if __name__ == "__main__":
    sys.exit(main())
