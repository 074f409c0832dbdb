"""Evaluation scores against hand computations, and loss/model/dataset fit checked up front."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import fl_pytorch.core.scores as scores_module
from fl_pytorch import Config, ConfigError
from fl_pytorch.core.metrics import EVAL_METRICS
from fl_pytorch.core.scores import score_names, scores
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.models.zoo import MODELS


class FixedOutputs:
    """An oracle stand-in whose predictions are the inputs themselves (logits given by a test)."""

    loss = staticmethod(F.cross_entropy)

    def predict(self, x, inputs, buffers=None):
        return inputs


def test_top1_top5_and_perplexity_of_known_logits():
    logits = torch.tensor([[5.0, 4, 3, 2, 1, 0, -1], [0, 1, 2, 3, 4, 5, 6], [0, 0, 9, 0, 0, 0, 0]])
    labels = torch.tensor([0, 1, 3])  # ranks: 1st, 6th, tied 2nd..7th (index 3 is among top 5)
    out = scores(FixedOutputs(), None, None, logits, labels, "classification",
                 score_names("classification", 7))
    assert out["top1_acc"] == pytest.approx(1 / 3)
    assert out["top5_acc"] == pytest.approx(2 / 3)
    assert out["loss"] == pytest.approx(float(F.cross_entropy(logits, labels)))
    tokens = torch.randn(2, 5, 4)  # (batch, vocab, positions); padding targets are ignored
    targets = torch.tensor([[1, 2, -100, -100], [4, 0, 3, -100]])
    out = scores(FixedOutputs(), None, None, tokens, targets, "next_token",
                 score_names("next_token", 5))
    keep = targets != -100
    flat_logits, flat_targets = tokens.transpose(1, 2)[keep], targets[keep]
    ce = F.cross_entropy(flat_logits, flat_targets)
    assert out["perplexity"] == pytest.approx(math.exp(float(ce)), rel=1e-6)
    assert out["top1_acc"] == pytest.approx(
        float((flat_logits.argmax(1) == flat_targets).float().mean()))
    assert out["top5_acc"] == 1.0  # 5 classes: the target is always in the top 5


def test_chunked_scores_equal_unchunked(monkeypatch):
    torch.manual_seed(0)
    logits, labels = torch.randn(50, 12), torch.randint(0, 12, (50,))
    whole = scores(FixedOutputs(), None, None, logits, labels, "classification", ["top1_acc"])
    monkeypatch.setattr(scores_module, "CHUNK", 7)
    chunked = scores(FixedOutputs(), None, None, logits, labels, "classification", ["top1_acc"])
    assert chunked["top1_acc"] == whole["top1_acc"]
    assert chunked["loss"] == pytest.approx(whole["loss"], rel=1e-6)


def test_binary_accuracy_uses_the_sign_of_the_logit():
    class Linear(FixedOutputs):
        loss = staticmethod(lambda p, t: F.softplus(-t * p.reshape(-1)).mean())
    out = scores(Linear(), None, None, torch.tensor([[2.0], [-1.0], [0.5], [-3.0]]),
                 torch.tensor([1.0, 1.0, -1.0, -1.0]), "binary", ["top1_acc"])
    assert out["top1_acc"] == 0.5


def test_train_variants_and_metric_choices(tmp_path):
    from fl_pytorch import run
    cfg = Config(model="mlp", rounds=2, quiet=True, extra_track="top1_acc_train,top5_acc_train")
    result = run(cfg, out=tmp_path / "r.bin")
    metrics = result["metrics"]
    for name in ("loss", "top1_acc", "top5_acc", "top1_acc_train", "top5_acc_train"):
        assert np.isfinite(metrics[name]).all(), name
    sim = build_simulation(cfg)
    with torch.no_grad():
        logits = sim.oracle.predict(sim.x0, sim.dataset.x)  # the initial model, all 1,437 samples
    assert metrics["top1_acc_train"][0] == pytest.approx(
        float((logits.argmax(1) == sim.dataset.y).double().mean()))
    assert {"top1_acc", "top5_acc", "perplexity", "top1_acc_train"} <= set(EVAL_METRICS)


@pytest.mark.parametrize("changes,needles", [
    (dict(loss="logistic"), ["--loss: invalid value 'logistic'", "'digits'",
                             "classification", "valid here: crossentropy"]),
    (dict(loss="mse"), ["--loss: invalid value 'mse'", "valid here: crossentropy"]),
    (dict(dataset="generated_for_quadratic_minimization", model="linear", loss="crossentropy"),
     ["--loss", "regression", "valid here: mse"]),
    (dict(dataset="generated_for_quadratic_minimization", model="small_cnn", loss="mse"),
     ["--model: 'small_cnn' needs images"]),
    (dict(dataset="generated_for_quadratic_minimization", model="linear", loss="mse",
          extra_track="top1_acc_train"), ["--extra-track: 'top1_acc_train'", "regression"]),
    (dict(model="two_outputs_for_test"), ["--model: 'two_outputs_for_test' gives outputs of "
                                          "shape (2, 2)", "needs (2, 10)"]),
])
def test_misfits_are_config_errors_before_training(changes, needles, monkeypatch):
    monkeypatch.setitem(MODELS._items, "two_outputs_for_test",  # a user model with 2 outputs
                        lambda ds: torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2)))
    with pytest.raises(ConfigError) as e:
        build_simulation(Config(quiet=True, **changes))
    for needle in needles:
        assert needle in str(e.value), (needle, str(e.value))


def test_perplexity_of_a_diverged_run_is_infinite_not_an_error():
    from fl_pytorch.core.scores import _perplexity
    assert _perplexity(1e6) == float("inf") and _perplexity(0.0) == 1.0
    assert _perplexity(float("nan")) != _perplexity(float("nan"))
