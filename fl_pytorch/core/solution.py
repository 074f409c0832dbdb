"""f* of a convex problem with exact Hessians, found once (the ``objective_gap_train`` metric).

Newton's method with a backtracking (Armijo) line search on ``f = sum_i w_i f_i`` in float64,
from x = 0, until a step no longer decreases f (rounding level). For L2-regularized logistic
regression (strongly convex, smooth Hessian) it converges quadratically in a few steps. The
result is cached with the dataset, so evaluation threads share it.
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import ConfigError

MAX_STEPS = 100


def _oracles(sim: Any, x: torch.Tensor) -> tuple[float, torch.Tensor, torch.Tensor]:
    """f(x), grad f(x), hess f(x) of the weighted objective, in float64."""
    value, grad, hess = 0.0, torch.zeros_like(x), x.new_zeros(x.numel(), x.numel())
    for w, (inputs, targets) in zip(sim.weights.tolist(), sim.client_data):
        a, t = inputs.to(torch.float64).cpu(), targets.to(torch.float64).cpu()
        f, g = sim.oracle.value_and_grad(x, a, t, train=False)
        value += w * float(f)
        grad += w * g
        hess += w * sim.oracle.hessian(x, a, t)
    return value, grad, hess


def minimum(sim: Any) -> float:
    """f* of the simulation's training objective (ConfigError without a Hessian oracle)."""
    if getattr(sim.oracle, "hessian", None) is None:
        raise ConfigError("--extra-track: objective_gap_train needs a problem with an exact "
                          "Hessian oracle (logistic regression or least squares with a linear "
                          "model), to find f* by Newton's method")
    key = ("f_star", sim.config.loss, sim.config.global_regulizer,
           float(sim.config.global_regulizer_alpha), tuple(sim.weights.tolist()))
    if key not in sim.dataset.extras:
        sim.dataset.extras[key] = _newton(sim)
    return sim.dataset.extras[key]


def _newton(sim: Any) -> float:
    x = torch.zeros(sim.dim, dtype=torch.float64)
    value, grad, hess = _oracles(sim, x)
    for _ in range(MAX_STEPS):
        direction = torch.linalg.solve(hess, grad)
        slope, step = float(grad @ direction), 1.0
        while step > 1e-12:
            trial = x - step * direction
            new_value = _value(sim, trial)
            if new_value <= value - 0.25 * step * slope:
                break
            step *= 0.5
        if step <= 1e-12 or new_value >= value:
            break
        x, value = trial, new_value
        _, grad, hess = _oracles(sim, x)
    return value


def _value(sim: Any, x: torch.Tensor) -> float:
    total = 0.0
    for w, (inputs, targets) in zip(sim.weights.tolist(), sim.client_data):
        a, t = inputs.to(torch.float64).cpu(), targets.to(torch.float64).cpu()
        total += w * float(sim.oracle.value(x, a, t))
    return total
