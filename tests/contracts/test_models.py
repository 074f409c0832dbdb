"""Every model of the zoo builds and runs forward/backward on a batch of its expected input.

The contract runs over ``MODELS.names()``, so a newly registered model is tested at once
(the original tool's alias names share their builders and are checked to do so). All models run,
the biggest (ResNet-152, 58M parameters) included, on a batch of 2.
"""

import pytest
import torch
import torch.nn.functional as F

from fl_pytorch import ConfigError
from fl_pytorch.data.federated import FederatedDataset
from fl_pytorch.models import ORIGINAL_NAMES
from fl_pytorch.registries import MODELS


def dataset(input_shape, output_dim, task="classification"):
    return FederatedDataset(name="shape-only", x=torch.zeros(0), y=torch.zeros(0),
                            client_indices=[], input_shape=input_shape, output_dim=output_dim,
                            task=task)


EXPECTED = {  # model -> dataset it is made for, input batch, output shape for a batch of 2
    "linear": (dataset((64,), 1, "regression"), torch.randn(2, 64), (2, 1)),
    "logistic_regression": (dataset((20,), 1, "binary"), torch.randn(2, 20), (2, 1)),
    "mlp": (dataset((1, 8, 8), 10), torch.randn(2, 1, 8, 8), (2, 10)),
    "small_cnn": (dataset((1, 8, 8), 10), torch.randn(2, 1, 8, 8), (2, 10)),
    "femnist_cnn": (dataset((1, 28, 28), 62), torch.randn(2, 1, 28, 28), (2, 62)),
    "shakespeare_lstm": (dataset((80,), 90, "next_token"), torch.randint(0, 90, (2, 80)),
                         (2, 90, 80)),
    "dense": (dataset((20,), 1, "binary"), torch.randn(2, 20), (2, 1)),
    "femnist": (dataset((1, 28, 28), 62), torch.randn(2, 1, 28, 28), (2, 62)),
    "minifemnist": (dataset((1, 28, 28), 62), torch.randn(2, 1, 28, 28), (2, 62)),
    "rnn": (dataset((80,), 90, "next_token"), torch.randint(0, 90, (2, 80)), (2, 90, 80)),
    "minirnn": (dataset((80,), 90, "next_token"), torch.randint(0, 90, (2, 80)), (2, 90, 80)),
}
CIFAR = (dataset((3, 32, 32), 10), torch.randn(2, 3, 32, 32), (2, 10))
UNIQUE = [n for n in MODELS.names() if n not in ORIGINAL_NAMES]


@pytest.mark.parametrize("name", UNIQUE)
def test_builds_and_runs_forward_backward(name):
    ds, inputs, out_shape = EXPECTED.get(name, CIFAR)
    torch.manual_seed(0)
    model = MODELS.get(name)(ds)
    out = model(inputs)
    assert out.shape == out_shape
    if ds.task in ("regression", "binary"):
        loss = F.mse_loss(out, torch.randn(out_shape))
    else:
        loss = F.cross_entropy(out, torch.randint(0, out_shape[1], (2, *out_shape[2:])))
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(float(g.abs().sum()) > 0 for g in grads)


def test_original_names_are_aliases_of_the_same_builders():
    for old, new in ORIGINAL_NAMES.items():
        assert MODELS.get(old) is MODELS.get(new)


@pytest.mark.parametrize("name,count", [("resnet18", 11_173_962), ("wrn28_2", 1_467_610),
                                        ("resnet20", 269_722), ("resnet110", 1_727_962),
                                        ("resnet1202", 19_421_274)])
def test_parameter_counts_match_the_published_ones(name, count):
    """ResNet-18 (CIFAR stem) 11.17M, WRN-28-2 1.47M, ResNet-20 0.27M, ResNet-110 1.7M,
    ResNet-1202 19.4M (He et al. 2016, Table 6)."""
    model = MODELS.get(name)(CIFAR[0])
    assert sum(p.numel() for p in model.parameters()) == count


@pytest.mark.parametrize("name,ds", [("small_cnn", dataset((123,), 1, "binary")),
                                     ("resnet18", dataset((1, 8, 8), 10, "regression")),
                                     ("vgg11", dataset((1, 28, 28), 10)),
                                     ("mlp", dataset((80,), 90, "next_token")),
                                     ("shakespeare_lstm", dataset((1, 8, 8), 10)),
                                     ("tv_resnet18", dataset((1, 28, 28), 10))])
def test_wrong_input_kind_is_a_config_error_naming_the_model(name, ds):
    with pytest.raises(ConfigError, match=f"--model: '{name}'"):
        MODELS.get(name)(ds)
