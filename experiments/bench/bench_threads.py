"""Thread-pool benchmark: rounds per second with 0 (sequential), 1 and 2 local-training threads.

A small CNN (``small_cnn``, 13.7k parameters) on the offline ``digits`` data, 10 clients per
round, one local epoch of minibatch SGD (batch 32), rand-k 10% uplink. Every configuration uses
the CPU-thread count the engine picks (``--intra-op-threads``, default 1, the same for all so
that their results are bit-identical).

On a shared machine the load changes from second to second, so the configurations are timed in
ONE run that switches executor every round (sequential, 1 thread, 2 threads, in turn): each
sees the same load. A configuration's rate is 1 / (median time of its client phase + median
time of the rest of a round, which the server does the same way for all). Separate full runs
then check that 0, 1, 2 threads and ``auto`` (the default, which measures and picks by itself)
give identical results.

    python experiments/bench/bench_threads.py [--rounds-per-config 25]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fl_pytorch import Config  # noqa: E402
from fl_pytorch.engine.engine import Engine  # noqa: E402
from fl_pytorch.engine.simulation import build_simulation  # noqa: E402
from fl_pytorch.execution import DevicePoolExecutor, SequentialExecutor  # noqa: E402
from fl_pytorch.execution.factory import cpu_cores  # noqa: E402

RUN = dict(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss",
           algorithm="fedavg", client_sampling_type="uniform", num_clients_per_round=10,
           client_compressor="randk:10%", algorithm_options="internal_sgd:sgd", batch_size=32,
           number_of_local_iters=1, local_lr=0.1, quiet=True)
CPU = [torch.device("cpu")]


class Rotation:
    """An executor that hands each round to the next of ``executors`` and times it."""

    name = "rotation"

    def __init__(self, executors: dict):
        self.executors = executors
        self.names = list(executors)
        self.calls: list[tuple[str, float]] = []

    def start(self, sim):
        for ex in self.executors.values():
            ex.start(sim)

    def map(self, task, ids):
        name = self.names[len(self.calls) % len(self.names)]
        begin = time.perf_counter()
        out = self.executors[name].map(task, ids)
        self.calls.append((name, time.perf_counter() - begin))
        return out

    def close(self):
        for ex in self.executors.values():
            ex.close()

    def describe(self):
        return "rotation"


def timed_rates(rounds_per_config: int) -> dict[str, float]:
    """Rounds per second of each configuration, measured in one rotating run."""
    rotation = Rotation({
        "0 threads (sequential)": SequentialExecutor(),
        "1 thread": DevicePoolExecutor(CPU, 1),
        "2 threads": DevicePoolExecutor(CPU, 2)})
    rounds = len(rotation.names) * (rounds_per_config + 1)
    cfg = Config(**RUN, rounds=rounds, eval_every=rounds)
    wall = Engine(build_simulation(cfg), executor=rotation).run()["metrics"]["wall_time"]
    per_round = np.diff(wall)[:-1]  # the last round also evaluates: left out
    calls = rotation.calls[len(rotation.names):len(per_round)]  # first of each: warm-up
    rest = statistics.median(float(per_round[k + len(rotation.names)]) - seconds
                             for k, (_, seconds) in enumerate(calls))
    return {name: 1.0 / (statistics.median(s for n, s in calls if n == name) + rest)
            for name in rotation.names}


def identical_results(rounds: int) -> dict[str, tuple[bool, str]]:
    """Whether 1, 2 threads and auto give the sequential run's bits; the executor used."""
    out, reference = {}, None
    for spec in ("0", "1", "2", "auto"):
        result = Engine(build_simulation(Config(**RUN, rounds=rounds,
                                                threadpool_for_local_opt=spec))).run()
        bits = (result["final_params"].tobytes(),
                {m: v.tobytes() for m, v in result["metrics"].items() if m != "wall_time"})
        reference = reference or bits
        out[spec] = (bits == reference, result["environment"]["executor"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds-per-config", type=int, default=25)
    args = parser.parse_args()
    rates = timed_rates(args.rounds_per_config)
    base = rates["0 threads (sequential)"]
    print(f"{cpu_cores()} CPU cores; {args.rounds_per_config} rounds per configuration, "
          "interleaved in one run")
    print(f"{'configuration':24s} {'rounds/s':>9s} {'vs sequential':>14s}")
    for name, rate in rates.items():
        print(f"{name:24s} {rate:9.2f} {rate / base:14.2f}")
    print("bit-identical to sequential (separate 8-round runs):")
    for spec, (same, executor) in identical_results(8).items():
        print(f"  --threadpool-for-local-opt {spec:5s} {same!s:6s} ({executor})")


if __name__ == "__main__":
    main()
