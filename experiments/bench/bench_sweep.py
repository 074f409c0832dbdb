"""Sweep benchmark: the same sweep run by worker processes and by threads of one process.

Two workloads, each a sweep with 2 jobs: ``quadratic`` (12 tiny runs of the paper's section 4.1
problem, 30 rounds each: mostly Python overhead, seconds in all) and ``cnn`` (4 runs of FedAvg
with the small CNN on digits, 10 clients per round, 8 rounds: torch work). A worker process
pays for its start (a fresh interpreter importing torch) once for all its runs; threads start at
once but share the interpreter lock for the Python part of each round. On a shared machine the
load changes, so the two modes alternate, ``--repeats`` times each, and the script prints the
median wall time of each mode and their ratio, measured in this one run. Every run of both
modes must give the same final parameters (checked).

    python experiments/bench/bench_sweep.py [--repeats 2] [--jobs 2] [--cnn-rounds 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fl_pytorch import Config, load_result  # noqa: E402
from fl_pytorch.sweep.plan import SweepPlan  # noqa: E402
from fl_pytorch.sweep.runner import make_slots, run_plan  # noqa: E402
from fl_pytorch.sweep.slots import shared_process_switches  # noqa: E402
from fl_pytorch.sweep.spec import make_spec  # noqa: E402

QUADRATIC = Config(dataset="generated_for_quadratic_minimization", model="linear", loss="mse",
                   dataset_generation_spec="clients:10,samples_per_client:100,variables:20,"
                                           "homogeneous:0,l:2,mu:1",
                   metric="loss", rounds=30, algorithm_options="internal_sgd:full-gradient",
                   run_local_steps=True, client_compressor="randk:40%", local_lr=1.0,
                   threadpool_for_local_opt="0", quiet=True)
CNN = Config(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss", rounds=8,
             num_clients_per_round=10, algorithm_options="internal_sgd:sgd", batch_size=32,
             client_compressor="randk:10%", threadpool_for_local_opt="0", quiet=True)
WORKLOADS = {"quadratic": (QUADRATIC, {"algorithm": ["fedavg", "scaffold"],
                                       "global_lr": [0.25, 0.5, 1.0]}, 2),
             "cnn": (CNN, {"global_lr": [0.5, 1.0]}, 2)}


def time_sweep(name: str, mode: str, jobs: int) -> tuple[float, list[np.ndarray]]:
    """Seconds to run the whole sweep ``name`` in ``mode``, and the final parameters."""
    base, grid, seeds = WORKLOADS[name]
    with tempfile.TemporaryDirectory() as folder:
        plan = SweepPlan(make_spec(name, base, grid, seeds, name), folder)
        start = time.perf_counter()
        with shared_process_switches(grid, base) if mode == "threads" else nullcontext():
            outcome = run_plan(plan, make_slots(mode, jobs, base.gpu), lambda line: None)
        seconds = time.perf_counter() - start
        assert outcome.counts.get("finished") == len(plan.runs), outcome.counts
        params = [load_result(p.path)["final_params"] for p in plan.runs]
    return seconds, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cnn-rounds", type=int, default=8,
                        help="rounds of each CNN run (longer runs amortize the workers' start)")
    parser.add_argument("--only", choices=list(WORKLOADS), help="run one workload only")
    args = parser.parse_args()
    base, grid, seeds = WORKLOADS["cnn"]
    WORKLOADS["cnn"] = (base.replace(rounds=args.cnn_rounds), grid, seeds)
    for name in [args.only] if args.only else WORKLOADS:
        times: dict[str, list[float]] = {"processes": [], "threads": []}
        reference = None
        for _ in range(args.repeats):
            for mode in times:
                seconds, params = time_sweep(name, mode, args.jobs)
                times[mode].append(seconds)
                reference = reference or params
                assert all(np.array_equal(a, b) for a, b in zip(reference, params)), mode
        p, t = (statistics.median(times[m]) for m in ("processes", "threads"))
        print(f"{name}: processes {p:.2f} s, threads {t:.2f} s (medians of {args.repeats}; "
              f"runs {', '.join(f'{x:.2f}' for x in times['processes'])} / "
              f"{', '.join(f'{x:.2f}' for x in times['threads'])}); threads / processes = "
              f"{t / p:.2f}; identical results")


if __name__ == "__main__":
    main()
