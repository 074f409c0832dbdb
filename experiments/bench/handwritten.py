"""Hand-written SCAFFOLD loops that the simulator is measured against (bench_vectorized.py).

SCAFFOLD (option II, both messages through rand-k, one full-gradient local step, uniform client
sampling, uniform weights) on a quadratic problem, written directly in PyTorch: a plain
per-client loop and a batched loop over all sampled clients. Both draw what the simulator draws
(the server's stream samples the clients; each client's stream of the round compresses dc, then
dy), so all three reach the same model up to float rounding, which the benchmark checks: the
comparison is between equal computations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from fl_pytorch.utils.rng import SERVER, stream_seed


@dataclass
class Problem:
    """The quadratic's data as ``[clients, n, d]`` blocks, x0, and the run's constants."""

    a: torch.Tensor
    b: torch.Tensor
    x0: torch.Tensor
    per_round: int
    k: int  # rand-k's k
    lr: float  # local
    global_lr: float
    seed: int


def _server_sample(p: Problem, t: int) -> list[int]:
    g = torch.Generator().manual_seed(stream_seed(p.seed, t, SERVER))
    return sorted(torch.randperm(p.a.shape[0], generator=g)[:p.per_round].tolist())


def _randk(v: torch.Tensor, k: int, g: torch.Generator) -> torch.Tensor:
    d = v.numel()
    idx = torch.randperm(d, generator=g)[:k]
    return torch.zeros_like(v).index_copy_(0, idx, v.index_select(0, idx).mul_(d / k))


def plain_loop(p: Problem, rounds: int) -> torch.Tensor:
    """One client after the other, each with its own generator; returns the final model."""
    clients, n, d = p.a.shape
    x, c = p.x0.clone(), torch.zeros(d, dtype=p.x0.dtype)
    c_i: dict[int, torch.Tensor] = {}
    for t in range(rounds):
        sampled = _server_sample(p, t)
        dy_sum, dc_sum = torch.zeros_like(x), torch.zeros_like(x)
        for i in sampled:
            g = torch.Generator().manual_seed(stream_seed(p.seed, t, i))
            a, b = p.a[i], p.b[i]
            ci = c_i.get(i, c.new_zeros(d))
            y = x - p.lr * (a.T @ (a @ x - b) * (2.0 / n) - ci + c)
            c_plus = ci - c + (x - y) / p.lr
            dc_sum += _randk(c_plus - ci, p.k, g)
            dy_sum += _randk(y - x, p.k, g)
            c_i[i] = c_plus
        x = x + p.global_lr * (dy_sum / len(sampled))
        c = c + (len(sampled) / clients) * (dc_sum / len(sampled))
        float(x.norm())  # the simulator records a norm every round
    return x


def batched_loop(p: Problem, rounds: int) -> torch.Tensor:
    """Every sampled client at once (bmm; per-client generators for the same draws)."""
    clients, n, d = p.a.shape
    x, c = p.x0.clone(), torch.zeros(d, dtype=p.x0.dtype)
    c_i = torch.zeros(clients, d, dtype=p.x0.dtype)
    gens = [torch.Generator() for _ in range(p.per_round)]
    scale = d / p.k
    for t in range(rounds):
        sampled = torch.tensor(_server_sample(p, t))
        for g, i in zip(gens, sampled.tolist()):
            g.manual_seed(stream_seed(p.seed, t, i))
        a, b, ci = p.a[sampled], p.b[sampled], c_i[sampled]
        r = torch.bmm(a, x.expand(len(sampled), d).unsqueeze(2)).squeeze(2) - b
        grad = torch.bmm(a.transpose(1, 2), r.unsqueeze(2)).squeeze(2) * (2.0 / n)
        y = x - p.lr * (grad - ci + c)
        c_plus = ci - c + (x - y) / p.lr
        messages = []
        for v in (c_plus - ci, y - x):
            idx = torch.stack([torch.randperm(d, generator=g) for g in gens])[:, :p.k]
            messages.append(torch.zeros_like(v).scatter_(1, idx, v.gather(1, idx) * scale))
        c_i[sampled] = c_plus
        x = x + p.global_lr * messages[1].mean(0)
        c = c + (len(sampled) / clients) * messages[0].mean(0)
        float(x.norm())
    return x
