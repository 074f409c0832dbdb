"""Per-round metrics. Evaluation metrics are computed every ``--eval-every`` rounds (and at the
first and last row); other rounds hold NaN. Costly full-data metrics are opt-in (--extra-track).

Row metrics (every round): round, wall_time (s since the start), clients_in_round,
direction_norm (||G||), oracle_grad_full / oracle_grad_samples (cumulative full local gradients /
per-sample gradients), bits_up_round (all clients), bits_up_per_client (mean over participants),
bits_up_cum, bits_down_round, bits_down_cum, lr_global.
Evaluation metrics: loss (test loss when the dataset has a test split, else the training
objective sum_i w_i f_i(x) + regularizer), dist_to_solution (when x* is known).
"""

from __future__ import annotations

import math
from typing import Any

import torch

EXTRA_METRICS = {
    "full_gradient_norm_train": "||grad f(x)|| over all clients' training data",
    "full_objective_value_train": "f(x) = sum_i w_i f_i(x) + regularizer on training data",
}
ROW_METRICS = ["round", "wall_time", "clients_in_round", "direction_norm", "oracle_grad_full",
               "oracle_grad_samples", "bits_up_round", "bits_up_per_client", "bits_up_cum",
               "bits_down_round", "bits_down_cum", "lr_global"]
EVAL_METRICS = ["loss", "dist_to_solution", *EXTRA_METRICS]


class Evaluator:
    """Computes the evaluation metrics of a model ``x`` for a simulation."""

    def __init__(self, sim: Any):
        self.sim = sim
        self.extra = [m.strip() for m in sim.config.extra_track.split(",") if m.strip()]

    def metric_names(self) -> list[str]:
        names = ["loss"]
        if self.sim.solution is not None:
            names.append("dist_to_solution")
        return names + self.extra

    @torch.no_grad()
    def _objective_and_grad(self, x: torch.Tensor, need_grad: bool) -> tuple[float, float]:
        value, grad = 0.0, torch.zeros_like(x)
        for w, (inputs, targets) in zip(self.sim.weights.tolist(), self.sim.client_data):
            if need_grad:
                v, g = self.sim.oracle.value_and_grad(x, inputs, targets)
                grad += w * g
            else:
                v = self.sim.oracle.value(x, inputs, targets)
            value += w * float(v)
        return value, float(grad.norm()) if need_grad else math.nan

    def evaluate(self, x: torch.Tensor) -> dict[str, float]:
        out: dict[str, float] = {}
        data = self.sim.dataset
        need_grad = "full_gradient_norm_train" in self.extra
        objective, grad_norm = (self._objective_and_grad(x, need_grad)
                                if data.test_x is None or self.extra else (math.nan, math.nan))
        if data.test_x is not None:
            out["loss"] = float(self.sim.oracle.value(x, data.test_x, data.test_y))
        else:
            out["loss"] = objective
        if self.sim.solution is not None:
            out["dist_to_solution"] = float((x - self.sim.solution).norm())
        if "full_objective_value_train" in self.extra:
            out["full_objective_value_train"] = objective
        if need_grad:
            out["full_gradient_norm_train"] = grad_norm
        return out
