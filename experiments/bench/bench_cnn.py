"""Small-CNN benchmark: simulator time per round vs a plain PyTorch training loop.

FedAvg with the ``small_cnn`` model on the offline ``digits`` dataset, 10 clients per round,
1 local epoch of minibatch SGD (batch 32, lr 0.1). The plain loop trains one model with
``torch.optim.SGD`` on exactly the same number and sizes of minibatches, gathered by index from
the same in-memory tensors, with the same single CPU thread. Both are timed in this one run, over
rounds 2..R of ``--repeats`` runs each (the simulator's own per-round ``wall_time``; evaluation
happens only at rounds 0 and R, after the clock is read), interleaved. The best round is the cost
with the least interference from other processes, the median the typical one; the ratio is what
matters.

    python experiments/bench/bench_cnn.py [--rounds 20] [--repeats 5] [--threads 0]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fl_pytorch import Config  # noqa: E402
from fl_pytorch.engine.engine import Engine  # noqa: E402
from fl_pytorch.engine.simulation import build_simulation  # noqa: E402
from fl_pytorch.registries import MODELS  # noqa: E402

BATCH, LR = 32, 0.1


def config(rounds: int, threads: str) -> Config:
    return Config(rounds=rounds, dataset="digits", model="small_cnn", loss="crossentropy",
                  algorithm="fedavg", num_clients=10, num_clients_per_round=10,
                  batch_size=BATCH, local_lr=LR, number_of_local_iters=1, eval_every=rounds,
                  threadpool_for_local_opt=threads, quiet=True)


def simulator_rounds(rounds: int, threads: str) -> list[float]:
    """Seconds of each of the rounds 2..R, from the run's own per-round ``wall_time``."""
    wall = Engine(build_simulation(config(rounds, threads))).run()["metrics"]["wall_time"]
    return [float(b - a) for a, b in zip(wall[1:-1], wall[2:])]


def plain_rounds(rounds: int) -> list[float]:
    """Seconds of each of the rounds 2..R of one model trained with plain SGD.

    The minibatches are the simulator's: 10 clients x ceil(n_i / 32) per round.
    """
    sim = build_simulation(config(rounds, "0"))
    torch.manual_seed(0)
    model = MODELS.get("small_cnn")(sim.dataset)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = sim.dataset.x, sim.dataset.y
    sizes = [len(ix) for ix in sim.dataset.client_indices]
    offsets = [0, *torch.tensor(sizes).cumsum(0).tolist()]
    gen = torch.Generator().manual_seed(0)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for offset, n in zip(offsets, sizes):
            perm = torch.randperm(n, generator=gen) + offset
            for k in range(math.ceil(n / BATCH)):
                batch = perm[k * BATCH:(k + 1) * BATCH]
                optimizer.zero_grad()
                F.cross_entropy(model(x[batch]), y[batch]).backward()
                optimizer.step()
        times.append(time.perf_counter() - start)
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", default="0",
                        help="simulator's --threadpool-for-local-opt (0 = sequential, as the "
                             "single-threaded plain loop)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    simulator_rounds(3, args.threads), plain_rounds(3)  # warm-up
    sim: list[float] = []
    plain: list[float] = []
    for _ in range(args.repeats):  # interleaved, so background load hits both alike
        sim += simulator_rounds(args.rounds, args.threads)
        plain += plain_rounds(args.rounds)
    for name, fn in (("best round", min), ("median round", statistics.median)):
        s, p = fn(sim) * 1e3, fn(plain) * 1e3
        print(f"{name:>12}: simulator {s:.2f} ms, plain loop {p:.2f} ms, "
              f"ratio simulator/plain = {s / p:.2f} (target <= 1.15)")


if __name__ == "__main__":
    main()
