"""Which model, loss and headline metric go with a dataset: the form's companion choices.

Picking a dataset of another kind of task (the quadratic regression problem after an image
classifier, a LIBSVM binary task...) switches the model, loss and metric to ones that fit, and
the form says so, instead of leaving ``small_cnn`` on a vector problem for Launch to refuse. The
engine's check before training (``core/model_check.py``) stays the judge; this table only spares
a launch that would fail. It lives in the GUI because only the form needs it: ``config.py`` does
not import it.
"""

from __future__ import annotations

import re

REGRESSION, BINARY, CLASSIFICATION, NEXT_TOKEN = "regression", "binary", "classification", \
    "next_token"
BINARY_DATASETS = re.compile(r"^(a[1-9]a|w[1-9]a|mushrooms|phishing|libsvm)$")
NEXT_TOKEN_DATASETS = ("shakespeare", "full_shakespeare")

FITTING = {
    REGRESSION: {"model": "linear", "loss": "mse", "metric": "dist_to_solution"},
    BINARY: {"model": "logistic_regression", "loss": "logistic", "metric": "top1_acc"},
    CLASSIFICATION: {"model": "small_cnn", "loss": "crossentropy", "metric": "top1_acc"},
    NEXT_TOKEN: {"model": "shakespeare_lstm", "loss": "crossentropy", "metric": "top1_acc"},
}
"""Task -> options that fit it (docs/datasets.md, docs/models.md)."""


def dataset_task(dataset: str) -> str:
    """The task of a dataset, from its name (docs/datasets.md's table)."""
    if dataset.startswith("generated_"):
        return REGRESSION
    if BINARY_DATASETS.match(dataset):
        return BINARY
    if dataset in NEXT_TOKEN_DATASETS:
        return NEXT_TOKEN
    return CLASSIFICATION


def companions(old_dataset: str, new_dataset: str) -> dict[str, str]:
    """Options to set when the dataset changes from ``old_dataset`` to ``new_dataset``.

    Nothing changes between datasets of the same task (the user's model choice stays); a change
    of task brings the new task's model, loss and metric.
    """
    task = dataset_task(new_dataset)
    return {} if dataset_task(old_dataset) == task else dict(FITTING[task])
