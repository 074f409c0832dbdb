"""What the three paper studies share: configurations x seeds run in parallel, and the figure.

A study is a dict ``{legend label: Config}``. :func:`run_study` runs every configuration with
every seed (``--manual-runtime-seed``: client sampling, minibatches, compressors; the problem and
the initial point stay fixed) in a pool of processes, one result file per run, skipping files
that already exist (an interrupted study continues where it stopped). :func:`plot_study` draws
mean +- std bands over the seeds against rounds and against uplink bits, as the paper's figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fl_pytorch import Config, load_result, run  # noqa: E402

__all__ = ["ROOT", "Config", "arguments", "plot_study", "run_study"]
from fl_pytorch.results.plot import new_figure, plot_runs, save_figure  # noqa: E402


def arguments(description: str, figure: str, **extra: dict) -> argparse.ArgumentParser:
    """The command line every study shares (plus ``extra`` flags: name -> add_argument kwargs)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=int, default=None,
                        help="runs per configuration (default 10)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="override the study's number of rounds (e.g. a quick look)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="parallel processes")
    parser.add_argument("--out-dir", default=None,
                        help="folder of the result files (default experiments/paper/results/)")
    parser.add_argument("--figure", default=str(ROOT / "docs" / "images" / figure),
                        help="where the figure goes (.png, .pdf or .svg)")
    for name, kwargs in extra.items():
        parser.add_argument(name, **kwargs)
    return parser


def _run_one(job: tuple[Config, str]) -> str:
    config, path = job
    result = run(config, out=path)
    if result["status"] != "finished":
        raise RuntimeError(f"{path}: {result['status']}: {result['error']}")
    return path


def run_study(name: str, curves: dict[str, Config], seeds: int | None, workers: int,
              out_dir: str | None = None, rounds: int | None = None) -> list[Path]:
    """Run every curve with seeds 1..``seeds`` (None: 10); return the result files.

    Result files that exist already are kept, not run again.
    """
    folder = Path(out_dir) if out_dir else ROOT / "experiments" / "paper" / "results" / name
    folder.mkdir(parents=True, exist_ok=True)
    jobs, paths = [], []
    seeds = 10 if seeds is None else seeds
    for index, (label, config) in enumerate(curves.items()):
        for seed in range(1, seeds + 1):
            path = folder / f"c{index}_seed{seed}.bin"
            changes = dict(manual_runtime_seed=seed, group_name=label, quiet=True,
                           comment=f"paper study {name}")
            if rounds is not None:
                changes["rounds"] = rounds
                changes["eval_every"] = min(config.eval_every, rounds)
            paths.append(path)
            if not path.exists():
                jobs.append((config.replace(**changes), str(path)))
    if jobs:
        context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked torch
        with ProcessPoolExecutor(max(1, min(workers, len(jobs))), mp_context=context) as pool:
            for done in pool.map(_run_one, jobs):
                print(f"wrote {done}", flush=True)
    return paths


def plot_study(paths: list[Path], y: str, figure: str, title: str, log_y: bool = True) -> Path:
    """Two panels, x = rounds and x = uplink bits, one mean +- std band per configuration."""
    results = [load_result(p) for p in paths]
    fig = new_figure(figsize=(12.0, 5.6))
    for i, x in enumerate(("rounds", "bits")):
        ax = fig.add_subplot(1, 2, i + 1)
        plot_runs(results, x=x, y=y, ax=ax, log_y=log_y, group_by="group_name",
                  legend_format="{group_name}")
        if x == "bits":
            ax.set_xscale("log")
        handles, labels = ax.get_legend_handles_labels()
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize="small", frameon=False)
    fig.suptitle(title)
    fig.subplots_adjust(bottom=0.1 + 0.045 * ((len(labels) + 1) // 2), wspace=0.25)
    return save_figure(fig, figure)
