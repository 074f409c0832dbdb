"""Vectorized clients: time per round of the executors against hand-written PyTorch loops.

Problems (float64, one CPU thread):

- ``quadratic``: SCAFFOLD, d = 20, rand-k 40% on both messages, one full-gradient local step,
  1000 clients (100 per round) and 10000 clients (1000 per round). Measured: the simulator's
  sequential and vectorized executors, a plain per-client PyTorch loop and a hand-written batched
  loop (``handwritten.py``) that draw the same random numbers; the final models are compared.
- ``logistic``: logistic regression on a LIBSVM file of a9a's shape (123 features, 14 nonzeros
  per sample), 1000 clients of 32 samples, 100 per round, SCAFFOLD with 5 local steps of
  8-sample minibatches and rand-k 10%: sequential against vectorized.
- ``mlp`` / ``cnn``: FedAvg on digits with 100 clients (20 per round), one local epoch of
  minibatches of 8: sequential, 2 threads and vectorized (torch.func), the measurement behind
  ``auto``'s rule (docs/parallel.md).

On a shared machine the load changes from second to second, so every configuration of a problem
is timed in turn, ``--repeats`` times, in this one run; a configuration's figure is its best
time per round (the least disturbed), and the ratios are of those figures. ``--baseline DIR``
also times the sequential executor of another checkout of the code (e.g. the commit before the
vectorized executor: ``git worktree add /tmp/before <commit>``), in a subprocess per repeat,
interleaved with the others. ``--gpu 0`` runs the simulator's configurations on that GPU (the
hand-written loops stay on the CPU) and compares its models with a CPU run.

    python experiments/bench/bench_vectorized.py [--repeats 5] [--problems quadratic,logistic]
        [--baseline DIR] [--gpu 0]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from handwritten import Problem, batched_loop, plain_loop  # noqa: E402

from fl_pytorch import Config  # noqa: E402
from fl_pytorch.engine.engine import Engine  # noqa: E402
from fl_pytorch.engine.simulation import build_simulation  # noqa: E402

SEED = 5


def simulator(config: Config) -> Callable[[], tuple[float, np.ndarray]]:
    """A run of ``config``: (seconds per round from the rows' wall times, final model)."""
    sim = build_simulation(config)

    def measure() -> tuple[float, np.ndarray]:
        result = Engine(sim).run()
        assert result["status"] == "finished", result["error"]
        wall = result["metrics"]["wall_time"]
        return (wall[-1] - wall[0]) / config.rounds, result["final_params"]
    return measure


BASELINE = """
import json, sys
import torch
from fl_pytorch import Config
from fl_pytorch.engine.engine import Engine
from fl_pytorch.engine.simulation import build_simulation
torch.set_num_threads(1)
config = Config(**json.loads(sys.argv[1]))
sim = build_simulation(config)
Engine(sim).run()  # warm-up
wall = Engine(sim).run()["metrics"]["wall_time"]
print((wall[-1] - wall[0]) / config.rounds)
"""


def baseline(folder: str, options: dict) -> Callable[[], tuple[float, np.ndarray]]:
    """The sequential executor of the code in ``folder`` (its seconds per round; no model)."""
    def measure() -> tuple[float, np.ndarray]:
        out = subprocess.run([sys.executable, "-c", BASELINE, json.dumps(options)],
                             env={**os.environ, "PYTHONPATH": folder},
                             capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1]), None
    return measure


def loop(fn: Callable, problem: Problem, rounds: int) -> Callable[[], tuple[float, np.ndarray]]:
    def measure() -> tuple[float, np.ndarray]:
        begin = time.perf_counter()
        x = fn(problem, rounds)
        return (time.perf_counter() - begin) / rounds, x.numpy()
    return measure


def quadratic(clients: int, per_round: int, rounds: int, before: str | None = None,
              gpu: str = "-1") -> dict[str, Callable]:
    spec = f"clients:{clients},samples_per_client:40,variables:20,homogeneous:0,l:2,mu:1"
    common = dict(dataset="generated_for_quadratic_minimization", dataset_generation_spec=spec,
                  model="linear", loss="mse", algorithm="scaffold", compute_type="fp64",
                  algorithm_options="internal_sgd:full-gradient", client_compressor="randk:40%",
                  run_local_steps=True, number_of_local_iters=1, num_clients_per_round=per_round,
                  global_lr=0.5, local_lr=0.1, rounds=rounds, eval_every=rounds, metric="none",
                  manual_runtime_seed=SEED, quiet=True)
    sim = build_simulation(Config(**common))
    n, d = 40, sim.dim
    problem = Problem(sim.dataset.x.reshape(clients, n, d), sim.dataset.y.reshape(clients, n),
                      sim.x0.clone(), per_round, 8, 0.1, 0.5, SEED)
    runs = {"sequential": simulator(Config(**common, gpu=gpu, threadpool_for_local_opt="0")),
            "vectorized": simulator(Config(**common, gpu=gpu,
                                           threadpool_for_local_opt="vectorized"))}
    if gpu == "-1":
        runs.update({"plain loop": loop(plain_loop, problem, rounds),
                     "batched loop": loop(batched_loop, problem, rounds)})
    else:
        runs.update(on_cpu(common))
    if before:
        runs["sequential, before"] = baseline(before, {**common, "threadpool_for_local_opt": "0"})
    return runs


def logistic(folder: Path, rounds: int, gpu: str = "-1") -> dict[str, Callable]:
    from sklearn.datasets import dump_svmlight_file
    rng = np.random.default_rng(0)
    samples, features = 32000, 123
    a = (rng.random((samples, features)) < 14 / features).astype(np.float64)
    b = np.where(a @ rng.normal(size=features) > 0, 1, -1)
    path = folder / "a9a_like.svm"
    dump_svmlight_file(a, b, str(path), zero_based=False)
    common = dict(dataset="libsvm", data_path=str(path), num_clients=1000, model=
                  "logistic_regression", loss="logistic", algorithm="scaffold", compute_type=
                  "fp64", algorithm_options="internal_sgd:sgd-nice,tau:8",
                  client_compressor="randk:10%", run_local_steps=True, number_of_local_iters=5,
                  num_clients_per_round=100, local_lr=0.5, rounds=rounds, eval_every=rounds,
                  metric="none", manual_runtime_seed=SEED, quiet=True)
    runs = {ex: simulator(Config(**common, gpu=gpu, threadpool_for_local_opt=spec))
            for ex, spec in (("sequential", "0"), ("vectorized", "vectorized"))}
    return runs if gpu == "-1" else {**runs, **on_cpu(common)}


def on_cpu(common: dict) -> dict[str, Callable]:
    """The vectorized run on the CPU, to compare a GPU run's model with."""
    return {"vectorized, CPU": simulator(Config(**common, threadpool_for_local_opt="vectorized"))}


def digits(model: str, rounds: int, gpu: str = "-1") -> dict[str, Callable]:
    common = dict(dataset="digits", model=model, num_clients=100, num_clients_per_round=20,
                  algorithm="fedavg", algorithm_options="internal_sgd:sgd", batch_size=8,
                  number_of_local_iters=1, local_lr=0.05, rounds=rounds, eval_every=rounds,
                  metric="none", manual_runtime_seed=SEED, quiet=True)
    runs = {ex: simulator(Config(**common, gpu=gpu, threadpool_for_local_opt=spec))
            for ex, spec in (("sequential", "0"), ("2 threads", "2"), ("4 threads", "4"),
                             ("vectorized", "vectorized"))}
    return runs if gpu == "-1" else {**runs, **on_cpu(common)}


def measure(name: str, runs: dict[str, Callable], repeats: int) -> dict[str, float]:
    """Best seconds per round of every configuration, taken in turn ``repeats`` times."""
    best = {k: float("inf") for k in runs}
    models = {}
    for run in runs.values():  # warm-up
        run()
    for _ in range(repeats):
        for k, run in runs.items():
            seconds, models[k] = run()
            best[k] = min(best[k], seconds)
    first = next(iter(models.values()))
    gaps = {k: float("nan") if m is None else float(np.abs(m - first).max())
            for k, m in models.items()}
    print(f"\n{name}: best ms per round (of {repeats}); max |x - x_sequential| after the run")
    for k in runs:
        print(f"  {k:13s} {1e3 * best[k]:9.3f} ms   {gaps[k]:.1e}")
    return best


def report(name: str, best: dict[str, float]) -> None:
    seq = best["sequential"]
    parts = [f"sequential/vectorized = {seq / best['vectorized']:.1f}"]
    if "batched loop" in best:
        parts.append(f"vectorized/batched loop = {best['vectorized'] / best['batched loop']:.2f}")
        parts.append(f"sequential/plain loop = {seq / best['plain loop']:.2f}")
    for k in ("2 threads", "4 threads"):
        if k in best:
            parts.append(f"sequential/{k} = {seq / best[k]:.2f}")
    if "sequential, before" in best:
        parts.append(f"sequential before/vectorized = "
                     f"{best['sequential, before'] / best['vectorized']:.1f}")
    print(f"  ratios: {'; '.join(parts)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--problems", default="quadratic,logistic,mlp,cnn")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the clients")
    parser.add_argument("--baseline", help="a checkout whose sequential executor is timed too")
    parser.add_argument("--gpu", default="-1", help="run the simulator on this --gpu entry")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    chosen = args.problems.split(",")

    def size(n: int) -> int:
        return max(2, int(n * args.scale))
    if "quadratic" in chosen:
        for clients, per_round, rounds in ((1000, 100, 40), (10000, 1000, 8)):
            best = measure(f"quadratic, {size(clients)} clients, {size(per_round)} per round",
                           quadratic(size(clients), size(per_round), rounds, args.baseline,
                                     args.gpu), args.repeats)
            report("quadratic", best)
    if "logistic" in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            report("logistic", measure("logistic regression, 1000 clients, 100 per round",
                                       logistic(Path(tmp), 10, args.gpu), args.repeats))
    for model in ("mlp", "cnn"):
        if model in chosen:
            name = {"mlp": "mlp", "cnn": "small_cnn"}[model]
            report(model, measure(f"{name} on digits, 20 clients per round",
                                  digits(name, 5, args.gpu), args.repeats))


if __name__ == "__main__":
    main()
