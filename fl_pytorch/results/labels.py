"""Friendly names of metrics and derived quantities: one table for the GUI and ``results plot``.

Axis labels, menu entries and messages all use :func:`label`, so a metric reads the same on the
command line's figures and in the GUI's analysis tab. Unknown names (a metric added later) read
as their words: ``my_metric`` -> ``my metric``.
"""

from __future__ import annotations

import re

LABELS: dict[str, str] = {
    # counters and time, recorded every round
    "round": "rounds",
    "wall_time": "wall time (s)",
    "clients_in_round": "clients in the round",
    "oracle_grad_full": "full local gradients computed (cumulative)",
    "oracle_grad_samples": "per-sample gradients computed (cumulative)",
    "bits_up_round": "bits sent uplink in the round",
    "bits_up_per_client": "uplink bits per participating client in the round",
    "bits_up_cum": "bits sent uplink (cumulative)",
    "bits_down_round": "bits sent downlink in the round",
    "bits_down_cum": "bits sent downlink (cumulative)",
    "direction_norm": "norm of the server direction ‖G‖",
    "lr_global": "server learning rate",
    "gpu_memory_mb": "GPU memory (MB)",
    # simulated system (fl_pytorch/heterogeneity, docs/heterogeneity.md)
    "sim_time": "simulated round time (s)",
    "sim_time_cum": "simulated time (s)",
    "clients_dropped": "clients dropped out in the round",
    "clients_late": "clients that missed the round's deadline",
    # evaluation metrics
    "loss": "loss",
    "dist_to_solution": "distance to the solution ‖x − x*‖",
    "top1_acc": "top-1 accuracy",
    "top5_acc": "top-5 accuracy",
    "perplexity": "perplexity",
    "full_gradient_norm_train": "gradient norm ‖∇f(x)‖ (train)",
    "full_objective_value_train": "objective f(x) (train)",
    "full_gradient_norm_val": "gradient norm ‖∇f(x)‖ (validation)",
    "full_objective_value_val": "objective f(x) (validation)",
    "objective_gap_train": "objective gap f(x) - f* (train)",
    "hessian_error": "Hessian learning error",
    "grad_norm": "gradient norm of the round",
    "line_search_steps": "line-search halvings",
    "top1_acc_train": "top-1 accuracy (train)",
    "top5_acc_train": "top-5 accuracy (train)",
    "perplexity_train": "perplexity (train)",
    # derived quantities (fl_pytorch/results/quantities.py)
    "wall_time_min": "wall time (min)",
    "round_time": "time per round (s)",
    "round_time_min": "time per round (min)",
    "gpu_memory_gb": "GPU memory (GB)",
    "dist_to_solution_sq": "squared distance to the solution ‖x − x*‖²",
    "full_gradient_norm_sq_train": "squared gradient norm ‖∇f(x)‖² (train)",
    "bits_total_cum": "bits sent uplink + downlink (cumulative)",
    "bits_up_per_participant_cum": "uplink bits per participating client (cumulative)",
    "bits_up_per_client_cum": "uplink bits / number of clients (cumulative)",
    "clients_cum": "client participations (cumulative)",
    "compute_devices": "compute devices",
}
"""Quantity name -> label (with its unit where it has one)."""


def label(name: str) -> str:
    """The friendly label of a metric or derived quantity (its words when unknown)."""
    return LABELS.get(name) or name.replace("_", " ")


def short_label(name: str) -> str:
    """The label without its unit or formula: ``distance to the solution`` (for tab titles)."""
    text = re.sub(r"\s*‖[^‖]*‖²?", "", label(name))
    return re.sub(r"\s*\((s|min|MB|GB|cumulative)\)", "", text)
