"""Thread-pool benchmark: rounds per second with 0 (sequential), 1 and 2 local-training threads.

A small CNN (``small_cnn``, 13.7k parameters) on the offline ``digits`` data, 10 clients per
round, one local epoch of minibatch SGD (batch 32), rand-k 10% uplink. Every configuration uses
the engine's CPU-thread setting (``--intra-op-threads``, default 1, the same for all so that
their results are bit-identical, which is checked here too); ``auto`` is what the engine picks
by default. Rates come from the result's wall_time column (setup and the first round left
out); configurations are interleaved and repeated, best of ``--repeats``. For reference the
sequential run is also timed with torch's default CPU-thread count (``--intra-op-threads`` =
cores): a different numerical setting, reported but not compared bit for bit.

    python experiments/bench/bench_threads.py [--rounds 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fl_pytorch import Config  # noqa: E402
from fl_pytorch.core.engine import Engine  # noqa: E402
from fl_pytorch.core.simulation import build_simulation  # noqa: E402
from fl_pytorch.execution.factory import cpu_cores  # noqa: E402

RUN = dict(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss",
           algorithm="fedavg", client_sampling_type="uniform", num_clients_per_round=10,
           client_compressor="randk:10%", algorithm_options="internal_sgd:sgd", batch_size=32,
           number_of_local_iters=1, local_lr=0.1, quiet=True)
SETTINGS = {"0 threads (sequential)": dict(threadpool_for_local_opt="0"),
            "1 thread": dict(threadpool_for_local_opt="1"),
            "2 threads": dict(threadpool_for_local_opt="2"),
            "auto (default)": dict(threadpool_for_local_opt="auto")}


def measure(rounds: int, changes: dict) -> tuple[float, dict, str]:
    """Rounds per second after the first round, the result, and the executor used."""
    cfg = Config(**RUN, rounds=rounds, eval_every=rounds, **changes)
    result = Engine(build_simulation(cfg)).run()
    wall = result["metrics"]["wall_time"]
    return (rounds - 1) / (wall[-1] - wall[1]), result, result["environment"]["executor"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cores = cpu_cores()
    settings = {**SETTINGS, f"0 threads, {cores} CPU threads (other numerics)":
                dict(threadpool_for_local_opt="0", intra_op_threads=cores)}
    best = dict.fromkeys(settings, 0.0)
    used, results = {}, {}
    for _ in range(args.repeats):
        for name, changes in settings.items():
            rate, results[name], used[name] = measure(args.rounds, changes)
            best[name] = max(best[name], rate)
    reference = results["0 threads (sequential)"]
    base = best["0 threads (sequential)"]
    print(f"{cores} CPU cores, {args.rounds} rounds, best of {args.repeats}")
    print(f"{'configuration':44s} {'rounds/s':>9s} {'vs seq':>7s}  identical  executor")
    for name in settings:
        same = np.array_equal(results[name]["final_params"], reference["final_params"])
        print(f"{name:44s} {best[name]:9.2f} {best[name] / base:7.2f}  {str(same):9s}  "
              f"{used[name]}")


if __name__ == "__main__":
    main()
