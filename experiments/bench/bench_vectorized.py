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
  minibatches of 8: sequential, 2 and 4 threads, and vectorized (torch.func).

Every measurement is a fresh process (the same conditions for all: no other run's objects
alive) that runs its configuration once to warm up, then once timed: seconds per round from the
rows' wall times (simulator) or around the loop. On a shared machine the load changes from second
to second, so the configurations of a problem are measured in turn, ``--repeats`` times; a
configuration's figure is its best time (the least disturbed), and the ratios are of those.
``--baseline DIR`` adds the sequential executor of another checkout of the code (e.g. the commit
before the vectorized executor: ``git archive <commit> | tar -x -C DIR``). ``--gpu 0`` runs the
simulator on that GPU (the hand-written loops stay on the CPU) and adds a CPU run of the
vectorized executor whose model the others are compared with.

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
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SEED = 5

CHILD = """
import json, sys, time
import torch
from fl_pytorch import Config
from fl_pytorch.engine.engine import Engine
from fl_pytorch.engine.simulation import build_simulation
torch.set_num_threads(1)
spec = json.loads(sys.argv[1])
sim = build_simulation(Config(**spec["config"]))
if spec["loop"] is None:
    Engine(sim).run()  # warm-up
    result = Engine(sim).run()
    assert result["status"] == "finished", result["error"]
    wall, model = result["metrics"]["wall_time"], result["final_params"]
    seconds = (wall[-1] - wall[0]) / sim.config.rounds
else:
    import handwritten
    clients, rounds = sim.num_clients, sim.config.rounds
    problem = handwritten.Problem(sim.dataset.x.reshape(clients, 40, -1),
                                  sim.dataset.y.reshape(clients, 40), sim.x0.clone(),
                                  sim.config.num_clients_per_round, 8, 0.1, 0.5, spec["seed"])
    loop = getattr(handwritten, spec["loop"])
    loop(problem, rounds)  # warm-up
    begin = time.perf_counter()
    model = loop(problem, rounds).numpy()
    seconds = (time.perf_counter() - begin) / rounds
print(json.dumps({"seconds": seconds, "model": model.tolist()}))
"""


def child(config: dict, loop: str | None = None, code: Path = ROOT) -> dict:
    """A measurement: ``config`` run by the simulator of ``code``, or by a hand-written loop."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), str(HERE)])}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(
        {"config": config, "loop": loop, "seed": SEED})], env=env, capture_output=True,
        text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def quadratic(clients: int, per_round: int, rounds: int) -> dict:
    spec = f"clients:{clients},samples_per_client:40,variables:20,homogeneous:0,l:2,mu:1"
    return dict(dataset="generated_for_quadratic_minimization", dataset_generation_spec=spec,
                model="linear", loss="mse", algorithm="scaffold", compute_type="fp64",
                algorithm_options="internal_sgd:full-gradient", client_compressor="randk:40%",
                run_local_steps=True, number_of_local_iters=1, num_clients_per_round=per_round,
                global_lr=0.5, local_lr=0.1, rounds=rounds, eval_every=rounds, metric="none",
                manual_runtime_seed=SEED, quiet=True)


def logistic(folder: Path, rounds: int) -> dict:
    from sklearn.datasets import dump_svmlight_file
    rng = np.random.default_rng(0)
    samples, features = 32000, 123
    a = (rng.random((samples, features)) < 14 / features).astype(np.float64)
    b = np.where(a @ rng.normal(size=features) > 0, 1, -1)
    path = folder / "a9a_like.svm"
    dump_svmlight_file(a, b, str(path), zero_based=False)
    return dict(dataset="libsvm", data_path=str(path), num_clients=1000,
                model="logistic_regression", loss="logistic", algorithm="scaffold",
                compute_type="fp64", algorithm_options="internal_sgd:sgd-nice,tau:8",
                client_compressor="randk:10%", run_local_steps=True, number_of_local_iters=5,
                num_clients_per_round=100, local_lr=0.5, rounds=rounds, eval_every=rounds,
                metric="none", manual_runtime_seed=SEED, quiet=True)


def digits(model: str, rounds: int) -> dict:
    return dict(dataset="digits", model=model, num_clients=100, num_clients_per_round=20,
                algorithm="fedavg", algorithm_options="internal_sgd:sgd", batch_size=8,
                number_of_local_iters=1, local_lr=0.05, rounds=rounds, eval_every=rounds,
                metric="none", manual_runtime_seed=SEED, quiet=True)


def configurations(base: dict, executors: list[tuple[str, str]], args: argparse.Namespace,
                   loops: bool = False) -> dict:
    """Every measurement of one problem: name -> (config, loop, code)."""
    runs = {name: ({**base, "gpu": args.gpu, "threadpool_for_local_opt": ex}, None, ROOT)
            for name, ex in executors}
    if args.gpu != "-1":
        runs["vectorized, CPU"] = ({**base, "threadpool_for_local_opt": "vectorized"}, None,
                                   ROOT)
    elif loops:
        runs["plain loop"] = (base, "plain_loop", ROOT)
        runs["batched loop"] = (base, "batched_loop", ROOT)
    if args.baseline:
        runs["sequential, before"] = ({**base, "threadpool_for_local_opt": "0"}, None,
                                      Path(args.baseline))
    return runs


def measure(name: str, runs: dict, repeats: int) -> dict[str, float]:
    """Best seconds per round of every configuration, measured in turn ``repeats`` times."""
    best = {k: float("inf") for k in runs}
    models = {}
    for _ in range(repeats):
        for k, (config, loop, code) in runs.items():
            out = child(config, loop, code)
            best[k], models[k] = min(best[k], out["seconds"]), np.array(out["model"])
    reference = models.get("vectorized, CPU", models["sequential"])
    print(f"\n{name}: best ms per round (of {repeats}); max |x - x_ref| after the run "
          f"(x_ref: {'vectorized, CPU' if 'vectorized, CPU' in models else 'sequential'})")
    for k in runs:
        print(f"  {k:19s} {1e3 * best[k]:9.3f} ms   {np.abs(models[k] - reference).max():.1e}")
    report(best)
    return best


def report(best: dict[str, float]) -> None:
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
    chosen = args.problems.split(",")
    executors = [("sequential", "0"), ("vectorized", "vectorized")]

    def size(n: int) -> int:
        return max(2, int(n * args.scale))
    if "quadratic" in chosen:
        for clients, per_round, rounds in ((1000, 100, 40), (10000, 1000, 8)):
            base = quadratic(size(clients), size(per_round), rounds)
            measure(f"quadratic, {size(clients)} clients, {size(per_round)} per round",
                    configurations(base, executors, args, loops=True), args.repeats)
    if "logistic" in chosen:
        with tempfile.TemporaryDirectory() as tmp:
            measure("logistic regression, 1000 clients, 100 per round",
                    configurations(logistic(Path(tmp), 10), executors, args), args.repeats)
    threads = [("sequential", "0"), ("2 threads", "2"), ("4 threads", "4"),
               ("vectorized", "vectorized")]
    no_baseline = argparse.Namespace(**{**vars(args), "baseline": None})
    for model, name in (("mlp", "mlp"), ("cnn", "small_cnn")):
        if model in chosen:
            measure(f"{name} on digits, 20 clients per round",
                    configurations(digits(name, 5), threads, no_baseline), args.repeats)


if __name__ == "__main__":
    main()
