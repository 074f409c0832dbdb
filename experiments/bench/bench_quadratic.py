"""Paper section 4.1 benchmark: simulator time per round vs a plain PyTorch loop.

SCAFFOLD, d = 20, 10 clients, full participation, 100 rounds, rand-k 40%, one local full-gradient
step. The plain loop does the same arithmetic by hand (same data, same compression, no metrics).
Both are timed in this one run, best of ``--repeats``; the ratio is what matters.

    python experiments/bench/bench_quadratic.py [--rounds 100] [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fl_pytorch import Config  # noqa: E402
from fl_pytorch.engine.engine import Engine  # noqa: E402
from fl_pytorch.engine.simulation import build_simulation  # noqa: E402

SPEC = "clients:10,samples_per_client:100,variables:20,homogeneous:0,l:2,mu:1"


def config(rounds: int) -> Config:
    return Config(rounds=rounds, num_clients_per_round=10, global_lr=0.5, local_lr=1.0,
                  dataset="generated_for_quadratic_minimization", dataset_generation_spec=SPEC,
                  model="linear", loss="mse", algorithm="scaffold",
                  algorithm_options="internal_sgd:full-gradient", client_compressor="randk:40%",
                  run_local_steps=True, number_of_local_iters=1, eval_every=rounds, quiet=True)


def simulator_seconds(rounds: int) -> float:
    sim = build_simulation(config(rounds))
    start = time.perf_counter()
    Engine(sim).run()
    return time.perf_counter() - start


def plain_loop_seconds(rounds: int) -> float:
    sim = build_simulation(config(rounds))
    data = [(a.contiguous(), b.contiguous()) for a, b in sim.client_data]
    n_clients, d = len(data), sim.dim
    k = round(0.4 * d)
    x, c = sim.x0.clone(), torch.zeros(d)
    c_i = [torch.zeros(d) for _ in range(n_clients)]
    gen = torch.Generator().manual_seed(0)

    def randk(v: torch.Tensor) -> torch.Tensor:
        idx = torch.randperm(d, generator=gen)[:k]
        out = torch.zeros_like(v)
        out[idx] = v[idx] * (d / k)
        return out

    start = time.perf_counter()
    for _ in range(rounds):
        dy_sum, dc_sum = torch.zeros(d), torch.zeros(d)
        for i, (a, b) in enumerate(data):
            g = a.T @ (a @ x - b) * (2.0 / b.numel())
            y = x - 1.0 * (g - c_i[i] + c)
            c_new = c_i[i] - c + (x - y) / 1.0
            dy_sum += randk(y - x)
            dc_sum += randk(c_new - c_i[i])
            c_i[i] = c_new
        x = x + 0.5 * dy_sum / n_clients
        c = c + dc_sum / n_clients
        float(x.norm())  # the simulator records the direction norm every round
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    simulator_seconds(5), plain_loop_seconds(5)  # warm-up
    sim = min(simulator_seconds(args.rounds) for _ in range(args.repeats))
    plain = min(plain_loop_seconds(args.rounds) for _ in range(args.repeats))
    per_sim, per_plain = sim / args.rounds * 1e3, plain / args.rounds * 1e3
    print(f"simulator : {per_sim:.3f} ms/round")
    print(f"plain loop: {per_plain:.3f} ms/round")
    print(f"ratio simulator/plain = {per_sim / per_plain:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
