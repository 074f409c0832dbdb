"""Must show: 2 methods x 3 step sizes x 3 seeds on the quadratic problem from one command,
stopped by Ctrl-C (SIGINT to the real process, sent when its output says a run finished),
resumed without redoing the finished runs, then plotted as 2 bands (the best step sizes)."""

import signal
import subprocess
from pathlib import Path

import numpy as np

from fl_pytorch import Config, load_result, run
from fl_pytorch.cli import main
from fl_pytorch.results.plot import plot_runs
from fl_pytorch.results.selection import expand_paths, read_index, select_best
from fl_pytorch.results.tuning import final_values

ROOT = Path(__file__).resolve().parents[2]
GRID = {"algorithm": ["fedavg", "scaffold"], "global_lr": [0.25, 0.5, 1.0]}


def _start(path: Path, cwd: Path, *flags: str) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / "run.sh"), "sweep", str(path), "--jobs", "2", *flags],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished_files(folder: Path) -> dict[str, tuple[int, int]]:
    """File name -> (inode, mtime in ns) of every run whose file holds a finished run."""
    out = {}
    for f in folder.glob("*.bin"):
        if load_result(f)["status"] == "finished":
            out[f.name] = (f.stat().st_ino, f.stat().st_mtime_ns)
    return out


def test_sweep_ctrl_c_resume_and_plot(sweep_file, tmp_path):
    path = sweep_file(GRID, seeds=3, name="quad")
    folder = tmp_path / "results" / "sweep_quad"
    proc = _start(path, tmp_path)
    header = proc.stdout.readline()
    assert "18 runs (2 algorithm x 3 global_lr x 3 seeds)" in header and "0 already" in header
    first = proc.stdout.readline()
    assert first.startswith("[1/18] finished: algorithm=")
    proc.send_signal(signal.SIGINT)  # Ctrl-C, as soon as one run has finished
    rest, _ = proc.communicate()
    assert proc.returncode == 130 and "stopping: no new runs" in rest
    index = read_index(folder)
    statuses = [r["status"] for r in index["runs"]]
    done_before = _finished_files(folder)
    assert 1 <= len(done_before) < 18 and statuses.count("finished") == len(done_before)
    assert set(statuses) <= {"finished", "stopped", "pending"} and "pending" in statuses

    proc = _start(path, tmp_path)  # the same command again
    out, err = proc.communicate()
    assert proc.returncode == 0, err
    assert f"{len(done_before)} already finished, {18 - len(done_before)} to run" in out
    ran_again = [line for line in out.splitlines() if line.startswith("[")]
    assert len(ran_again) == 18 - len(done_before)
    after = _finished_files(folder)
    assert len(after) == 18
    assert {name: after[name] for name in done_before} == done_before  # not redone, not touched
    assert [r["status"] for r in read_index(folder)["runs"]] == ["finished"] * 18

    # the tuned comparison: the best global_lr of each method, from the files themselves
    results = [load_result(f) for f in expand_paths([folder])]
    best = {}
    for method in GRID["algorithm"]:
        means = {lr: np.mean([final_values(r)["dist_to_solution"] for r in results
                              if r["config"]["algorithm"] == method
                              and r["config"]["global_lr"] == lr]) for lr in GRID["global_lr"]}
        best[method] = min(means, key=means.get)
    chosen = select_best(results, "dist_to_solution")
    assert {(r["config"]["algorithm"], r["config"]["global_lr"]) for r in chosen} == \
        set(best.items()) and len(chosen) == 6
    ax = plot_runs(chosen, y="dist_to_solution").axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # two mean lines, two +-std bands
    assert all("(mean ± std, 3 runs)" in t.get_text() for t in ax.get_legend().get_texts())
    figure = tmp_path / "best.png"
    assert main(["results", "plot", str(folder), "--best-by", "dist_to_solution",
                 "--y", "dist_to_solution", "--log-y", "-o", str(figure)]) == 0
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # a worker process computes exactly what a run of its own computes
    swept = results[-1]
    alone = run(Config.from_dict(swept["config"]), out=tmp_path / "alone.bin")
    assert np.array_equal(swept["final_params"], alone["final_params"])


def test_worker_processes_end_their_runs_after_their_round(sweep_file, tmp_path):
    path = sweep_file({"rounds": [20, 300]}, seeds=2, name="procs")
    folder = tmp_path / "results" / "sweep_procs"
    proc = _start(path, tmp_path, "--sweep-mode", "processes")
    assert "4 runs (2 rounds x 2 seeds)" in proc.stdout.readline()
    assert proc.stdout.readline().startswith("[1/4] finished: rounds=20")
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate()
    assert proc.returncode == 130 and "stopping: no new runs" in rest
    runs = read_index(folder)["runs"]
    assert set(r["status"] for r in runs) <= {"finished", "interrupted", "pending"}
    assert 1 <= [r["status"] for r in runs].count("finished") < 4
    for r in runs:
        if r["status"] == "interrupted":  # its rounds so far, in a file that says so
            result = load_result(folder / r["file"])
            assert result["status"] == "interrupted"
            assert len(result["metrics"]["round"]) - 1 < r["values"]["rounds"]
