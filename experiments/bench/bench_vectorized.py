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
time per round (the least disturbed), and the ratios are of those figures.

    python experiments/bench/bench_vectorized.py [--repeats 5] [--problems quadratic,logistic]
"""

from __future__ import annotations

import argparse
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


def loop(fn: Callable, problem: Problem, rounds: int) -> Callable[[], tuple[float, np.ndarray]]:
    def measure() -> tuple[float, np.ndarray]:
        begin = time.perf_counter()
        x = fn(problem, rounds)
        return (time.perf_counter() - begin) / rounds, x.numpy()
    return measure


def quadratic(clients: int, per_round: int, rounds: int) -> dict[str, Callable]:
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
    return {"sequential": simulator(Config(**common, threadpool_for_local_opt="0")),
            "vectorized": simulator(Config(**common, threadpool_for_local_opt="vectorized")),
            "plain loop": loop(plain_loop, problem, rounds),
            "batched loop": loop(batched_loop, problem, rounds)}


def logistic(folder: Path, rounds: int) -> dict[str, Callable]:
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
    return {ex: simulator(Config(**common, threadpool_for_local_opt=spec))
            for ex, spec in (("sequential", "0"), ("vectorized", "vectorized"))}


def digits(model: str, rounds: int) -> dict[str, Callable]:
    common = dict(dataset="digits", model=model, num_clients=100, num_clients_per_round=20,
                  algorithm="fedavg", algorithm_options="internal_sgd:sgd", batch_size=8,
                  number_of_local_iters=1, local_lr=0.05, rounds=rounds, eval_every=rounds,
                  metric="none", manual_runtime_seed=SEED, quiet=True)
    return {ex: simulator(Config(**common, threadpool_for_local_opt=spec))
            for ex, spec in (("sequential", "0"), ("2 threads", "2"),
                             ("vectorized", "vectorized"))}


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
    gaps = {k: float(np.abs(m - first).max()) for k, m in models.items()}
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
    if "2 threads" in best:
        parts.append(f"sequential/2 threads = {seq / best['2 threads']:.2f}")
    print(f"  ratios: {'; '.join(parts)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--problems", default="quadratic,logistic,mlp,cnn")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the clients")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    chosen = args.problems.split(",")

    def size(n: int) -> int:
        return max(2, int(n * args.scale))
    if "quadratic" in chosen:
        for clients, per_round, rounds in ((1000, 100, 40), (10000, 1000, 8)):
            best = measure(f"quadratic, {size(clients)} clients, {size(per_round)} per round",
                           quadratic(size(clients), size(per_round), rounds), args.repeats)
            report("quadratic", best)
    if "logistic" in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            report("logistic", measure("logistic regression, 1000 clients, 100 per round",
                                       logistic(Path(tmp), 10), args.repeats))
    for model in ("mlp", "cnn"):
        if model in chosen:
            name = {"mlp": "mlp", "cnn": "small_cnn"}[model]
            report(model, measure(f"{name} on digits, 20 clients per round",
                                  digits(name, 5), args.repeats))


if __name__ == "__main__":
    main()
