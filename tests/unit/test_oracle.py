"""The closed-form linear/MSE oracle agrees with autograd through the module."""

import torch

from fl_pytorch.core.losses import LOSSES, REGULARIZERS
from fl_pytorch.core.oracle import LinearMSEOracle, ModuleOracle, build_oracle
from fl_pytorch.data.quadratic import generate_quadratic
from fl_pytorch.models.linear import linear


def test_fast_path_equals_autograd_with_each_regularizer():
    ds = generate_quadratic("clients:2,samples_per_client:15,variables:7")
    model = linear(ds).double()
    x = torch.randn(7, dtype=torch.float64)
    for reg in REGULARIZERS.names():
        fast = build_oracle(model, "mse", LOSSES.get("mse"), REGULARIZERS.get(reg), 0.3, 1)
        slow = ModuleOracle(model, LOSSES.get("mse"), REGULARIZERS.get(reg), 0.3)
        assert isinstance(fast, LinearMSEOracle)
        (lf, gf), (ls, gs) = fast.value_and_grad(x, ds.x, ds.y), slow.value_and_grad(x, ds.x, ds.y)
        assert torch.allclose(lf, ls, atol=1e-12) and torch.allclose(gf, gs, atol=1e-12)
        assert torch.allclose(fast.value(x, ds.x, ds.y), slow.value(x, ds.x, ds.y), atol=1e-12)


def test_other_losses_use_autograd():
    ds = generate_quadratic("clients:1,samples_per_client:5,variables:3")
    model = linear(ds)
    oracle = build_oracle(model, "crossentropy", LOSSES.get("crossentropy"),
                          REGULARIZERS.get("none"), 0.0, 1)
    assert type(oracle) is ModuleOracle
