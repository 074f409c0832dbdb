"""Sweeps in threads and from the command line form; plans, file names, index, best step size."""

import json

import numpy as np

from fl_pytorch import Config, load_result, run
from fl_pytorch.cli import main
from fl_pytorch.results.selection import read_index
from fl_pytorch.sweep.plan import SweepPlan, run_key
from fl_pytorch.sweep.runner import default_jobs, make_slots
from fl_pytorch.sweep.spec import load_sweep_file, make_spec, split_values

from .conftest import BASE


def test_expansion_order_seeds_labels_and_groups(sweep_file):
    spec = load_sweep_file(sweep_file({"--global-lr": [1, 0.5], "algorithm": ["fedavg", "dcgd"]},
                                      seeds=2))
    runs = spec.runs()
    assert [(r.config.global_lr, r.config.algorithm, r.seed) for r in runs] == [
        (1.0, "fedavg", 456), (1.0, "fedavg", 457), (1.0, "dcgd", 456), (1.0, "dcgd", 457),
        (0.5, "fedavg", 456), (0.5, "fedavg", 457), (0.5, "dcgd", 456), (0.5, "dcgd", 457)]
    assert runs[2].label == "global_lr=1 algorithm=dcgd"
    assert runs[2].config.group_name == "s global_lr=1 algorithm=dcgd"
    assert runs[0].config.rounds == BASE["rounds"] and runs[0].config.quiet
    assert split_values("a,b") == ["a", "b"] and split_values("x:1,y:2;z") == ["x:1,y:2", "z"]


def test_file_names_survive_reordering_and_ignore_devices_and_outputs(sweep_file, tmp_path):
    a = SweepPlan(load_sweep_file(sweep_file({"global_lr": [1, 0.5]}, seeds=2)), tmp_path)
    b = SweepPlan(load_sweep_file(sweep_file({"global_lr": [0.5, 1]}, seeds=2)), tmp_path)
    assert {p.path for p in a.runs} == {p.path for p in b.runs} and len(a.runs) == 4
    config = a.runs[0].run.config
    assert run_key(config) == run_key(config.replace(gpu="0", out="x.bin", group_name="g"))
    assert run_key(config) != run_key(config.replace(rounds=9))


def test_only_finished_runs_of_the_same_options_count_as_done(sweep_file, tmp_path):
    import threading
    spec = load_sweep_file(sweep_file({"global_lr": [1, 0.5, 0.25]}))
    plan = SweepPlan(spec, tmp_path)
    finished, stopped, other = plan.runs
    run(finished.run.config, out=finished.path)
    stop = threading.Event()
    stop.set()
    assert run(stopped.run.config, out=stopped.path, stop_event=stop)["status"] == "stopped"
    run(other.run.config.replace(rounds=2), out=other.path)  # another configuration's file
    again = SweepPlan(spec, tmp_path)
    assert [p.status for p in again.runs] == ["finished", "pending", "pending"]
    assert again.runs[0].final["dist_to_solution"] == \
        float(load_result(finished.path)["metrics"]["dist_to_solution"][-1])
    finished.path.write_bytes(b"garbage")  # unreadable: run again
    assert [p.status for p in SweepPlan(spec, tmp_path).runs] == ["pending"] * 3


def test_thread_sweep_matches_single_runs_bit_for_bit_and_prints_the_best(
        sweep_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = sweep_file({"algorithm": ["fedavg", "dcgd"], "global_lr": [0.5, 1.0]}, seeds=2)
    argv = ["sweep", str(path), "--sweep-mode", "threads", "--jobs", "2",
            "--best-by", "dist_to_solution", "--sweep-dir", "out"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    index = read_index(tmp_path / "out")
    assert [r["status"] for r in index["runs"]] == ["finished"] * 8
    assert json.loads((tmp_path / "out" / "index.json").read_text())["seeds"] == [456, 457]
    csv_lines = (tmp_path / "out" / "index.csv").read_text().splitlines()
    assert csv_lines[0].startswith("index,file,status,algorithm,global_lr,manual_runtime_seed,")
    assert len(csv_lines) == 9
    first = index["runs"][3]  # fedavg, global_lr 1.0, seed 457
    alone = run(Config(**{**BASE, "global_lr": 1.0, "manual_runtime_seed": 457}),
                out=tmp_path / "alone.bin")
    swept = load_result(tmp_path / "out" / first["file"])
    assert np.array_equal(swept["final_params"], alone["final_params"])
    finals = {(r["values"]["algorithm"], r["values"]["global_lr"]): [] for r in index["runs"]}
    for r in index["runs"]:
        finals[(r["values"]["algorithm"], r["values"]["global_lr"])].append(
            r["final"]["dist_to_solution"])
    for method in ("fedavg", "dcgd"):
        lr = min((0.5, 1.0), key=lambda v: np.mean(finals[(method, v)]))
        mean = np.mean(finals[(method, lr)])
        assert f"  algorithm={method}: global_lr={lr:g}  dist_to_solution = {mean:.6g}" in out
    assert "best step size per method by the final dist_to_solution (lower is better)" in out
    assert main(argv) == 0  # everything done: nothing runs again
    assert "8 already finished, 0 to run" in capsys.readouterr().out


def test_command_line_form_is_resumable(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    flags = ["--dataset", BASE["dataset"], "--dataset-generation-spec",
             BASE["dataset_generation_spec"], "--model", "linear", "--loss", "mse",
             "--rounds", "3", "--num-clients-per-round", "2", "--sweep-mode", "threads"]
    argv = [*flags, "--sweep", "--global-lr=0.5;1", "--seeds", "2", "--jobs", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    [folder] = (tmp_path / "results").iterdir()
    assert folder.name.startswith("sweep_sweep-") and f"in results/{folder.name}" in out
    assert len(list(folder.glob("*.bin"))) == 4
    assert main(argv) == 0
    assert "4 already finished, 0 to run" in capsys.readouterr().out


def test_devices_are_shared_out_among_the_jobs():
    assert [s.device for s in make_slots("threads", 3, "0,1")] == ["0", "1", "0"]
    assert [s.device for s in make_slots("processes", 2, "-1")] == [None, None]
    assert default_jobs(Config(gpu="0,1"), 10) == 2 and default_jobs(Config(), 1) == 1


def test_spec_counts_and_seed_lists():
    spec = make_spec("x", Config(), {"manual_runtime_seed": [3, 9], "global_lr": [1]}, 1, "t")
    assert spec.count() == 2 and [r.seed for r in spec.runs()] == [3, 9]
