"""Per-round metrics.

Evaluation metrics are computed every ``--eval-every`` rounds (and at the
first and last row); other rounds hold NaN. Costly full-data metrics are opt-in (--extra-track).

Row metrics (every round): round, wall_time (s since the start), clients_in_round,
direction_norm (||G||), oracle_grad_full / oracle_grad_samples (cumulative full local gradients /
per-sample gradients), bits_up_round (all clients), bits_up_per_client (mean over participants),
bits_up_cum, bits_down_round, bits_down_cum, lr_global, gpu_memory_mb (peak MB held by tensors
on the run's CUDA devices during the round; NaN when the run uses no GPU).
Evaluation metrics: loss (test loss when the dataset has a test split, else the training
objective sum_i w_i f_i(x) + regularizer), dist_to_solution (when x* is known), and the scores
the dataset's task defines (core/scores.py): top1_acc, top5_acc, perplexity, on the test split
(else on all training samples). Models run in eval mode with the server's batch-norm buffers.
The ``*_train`` extras are the same scores on all training samples; the ``*_val`` extras are the
objective (loss + regularizer) and its gradient's norm on the test split, or on all training
samples pooled when the dataset has none (the original tool's quadratic and LIBSVM "test" sets
were their training data). ``--metric none`` skips the loss and the scores (the original's "no
validation step"); the extras are still computed.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..heterogeneity.rounds import SYSTEM_METRICS
from .scores import SCORES, chunks, score_names, scores, target_count

EXTRA_METRICS = {
    "full_gradient_norm_train": "||grad f(x)|| over all clients' training data",
    "full_objective_value_train": "f(x) = sum_i w_i f_i(x) + regularizer on training data",
    "full_gradient_norm_val": "||grad f_val(x)|| on the test split (else all training samples)",
    "full_objective_value_val": "f_val(x), loss + regularizer on the test split (else all "
                                "training samples)",
    "objective_gap_train": "f(x) - f* on training data (f* by Newton's method, once; needs an "
                           "exact Hessian oracle: logistic regression or least squares)",
    "top1_acc_train": "top-1 accuracy on all training samples",
    "top5_acc_train": "top-5 accuracy on all training samples",
    "perplexity_train": "perplexity on all training tokens (language models)",
}
ROW_METRICS = ["round", "wall_time", "clients_in_round", "direction_norm", "oracle_grad_full",
               "oracle_grad_samples", "bits_up_round", "bits_up_per_client", "bits_up_cum",
               "bits_down_round", "bits_down_cum", "lr_global", "gpu_memory_mb",
               *SYSTEM_METRICS]
EVAL_METRICS = ["loss", "dist_to_solution", *SCORES, *EXTRA_METRICS]
#: values of ``--metric``: auto (resolved at setup by :func:`headline_metric`), none, any metric
HEADLINE_METRICS = ["auto", *EVAL_METRICS, "none"]
VAL_METRICS = ("full_gradient_norm_val", "full_objective_value_val")


def headline_metric(metric: str, available: list[str]) -> str:
    """The metric ``--metric`` names; ``auto`` is the one that tells runs apart.

    That is the first of top1_acc, dist_to_solution, loss that is available (defined, computed).
    """
    if metric != "auto":
        return metric
    return next((m for m in ("top1_acc", "dist_to_solution") if m in available), "loss")


class Evaluator:
    """Computes the evaluation metrics of a model ``x`` for a simulation."""

    def __init__(self, sim: Any):
        self.sim = sim
        self.extra = [m.strip() for m in sim.config.extra_track.split(",") if m.strip()]
        data = sim.dataset
        self.validation = sim.config.metric != "none"
        self.scores = score_names(data.task, data.output_dim) if self.validation else []
        self.train_scores = [m[:-len("_train")] for m in self.extra
                             if m[:-len("_train")] in SCORES]

    def metric_names(self) -> list[str]:
        names = ["loss"] if self.validation else []
        if self.sim.solution is not None:
            names.append("dist_to_solution")
        return names + self.scores + self.extra

    @torch.no_grad()
    def _objective_and_grad(self, x: torch.Tensor, buffers: torch.Tensor | None,
                            need_grad: bool) -> tuple[float, float]:
        """sum_i w_i f_i(x) (+ regularizer) and its gradient's norm, in chunks of samples."""
        value, grad, task = 0.0, torch.zeros_like(x), self.sim.dataset.task
        oracle = self.sim.oracle
        for w, (inputs, targets) in zip(self.sim.weights.tolist(), self.sim.client_data):
            total = target_count(targets, task)
            for part in chunks(inputs.shape[0]):
                share = w * target_count(targets[part], task) / total
                if need_grad:
                    v, g = oracle.value_and_grad(x, inputs[part], targets[part], buffers,
                                                 train=False)
                    grad += share * g
                else:
                    v = oracle.value(x, inputs[part], targets[part], buffers)
                value += share * float(v)
        return value, float(grad.norm()) if need_grad else math.nan

    def evaluate_state(self, state: torch.Tensor) -> dict[str, float]:
        """``evaluate`` of a model state ``[x | buffers]`` (what the engine snapshots)."""
        dim = self.sim.dim
        return self.evaluate(state[:dim], state[dim:] if state.numel() > dim else None)

    def evaluate(self, x: torch.Tensor, buffers: torch.Tensor | None = None) -> dict[str, float]:
        """Every evaluation metric of the model ``x`` with the batch-norm ``buffers``.

        ``buffers`` None means the model's initial buffers (models without any need none).
        """
        out: dict[str, float] = {}
        sim, data = self.sim, self.sim.dataset
        need_grad = "full_gradient_norm_train" in self.extra
        train_extra = {"full_gradient_norm_train", "full_objective_value_train"} & set(self.extra)
        objective, grad_norm = (self._objective_and_grad(x, buffers, need_grad)
                                if (data.test_x is None and self.validation) or train_extra
                                else (math.nan, math.nan))
        if self.validation and data.test_x is not None:
            out.update(scores(sim.oracle, x, buffers, data.test_x, data.test_y, data.task,
                              self.scores))
            out["loss"] += float(sim.oracle.reg.value(x, sim.oracle.reg_alpha))
        elif self.validation:
            out["loss"] = objective
            if self.scores:
                out.update({k: v for k, v in scores(sim.oracle, x, buffers, data.x, data.y,
                                                    data.task, self.scores).items()
                            if k != "loss"})
        if set(VAL_METRICS) & set(self.extra):
            out.update(self._validation_extras(x, buffers))
        if self.train_scores:
            train = scores(sim.oracle, x, buffers, data.x, data.y, data.task, self.train_scores)
            out.update({f"{k}_train": train[k] for k in self.train_scores})
        if self.sim.solution is not None:
            out["dist_to_solution"] = float((x - self.sim.solution).norm())
        if "full_objective_value_train" in self.extra:
            out["full_objective_value_train"] = objective
        if "objective_gap_train" in self.extra:
            from .solution import minimum
            out["objective_gap_train"] = objective - minimum(sim)
        if need_grad:
            out["full_gradient_norm_train"] = grad_norm
        return out

    @torch.no_grad()
    def _validation_extras(self, x: torch.Tensor, buffers: torch.Tensor | None
                           ) -> dict[str, float]:
        """The ``*_val`` extras: objective and gradient norm averaged over the test samples."""
        data, oracle = self.sim.dataset, self.sim.oracle
        inputs, targets = (data.x, data.y) if data.test_x is None else (data.test_x, data.test_y)
        total = target_count(targets, data.task)
        value, grad = 0.0, torch.zeros_like(x)
        for part in chunks(inputs.shape[0]):
            share = target_count(targets[part], data.task) / total
            v, g = oracle.value_and_grad(x, inputs[part], targets[part], buffers, train=False)
            value, grad = value + share * float(v), grad + share * g
        out = {"full_objective_value_val": value, "full_gradient_norm_val": float(grad.norm())}
        return {k: v for k, v in out.items() if k in self.extra}
