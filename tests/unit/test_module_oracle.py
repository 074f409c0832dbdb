"""The flat-bound module oracle against plain PyTorch: same gradients, same batch-norm updates."""

import copy

import pytest
import torch
import torch.nn.functional as F

from fl_pytorch.core.losses import LOSSES, REGULARIZERS
from fl_pytorch.core.oracle import ModuleOracle
from fl_pytorch.registries import MODELS
from tests.contracts.test_models import CIFAR, EXPECTED


def plain_loss_and_gradient(model, inputs, targets):
    model.zero_grad()
    loss = F.cross_entropy(model(inputs), targets)
    loss.backward()
    return float(loss.detach()), torch.cat([p.grad.reshape(-1) for p in model.parameters()])


@pytest.mark.parametrize("name", ["small_cnn", "resnet20", "shakespeare_lstm"])
def test_gradient_and_buffers_equal_plain_pytorch(name):
    ds, inputs, out_shape = EXPECTED.get(name, CIFAR)
    torch.manual_seed(0)
    reference = MODELS.get(name)(ds).double()
    oracle = ModuleOracle(copy.deepcopy(reference), LOSSES.get("crossentropy"),
                          REGULARIZERS.get("cvx_l2norm"), 0.1)
    inputs = inputs.double() if inputs.is_floating_point() else inputs[:, :16]  # short sequences
    targets = torch.randint(0, out_shape[1], (2, *inputs.shape[1:])) if name.endswith("lstm") \
        else torch.randint(0, out_shape[1], (2,))
    x = torch.randn(oracle.layout.dim, dtype=torch.float64) * 0.05
    with torch.no_grad():  # the reference holds the same parameters x
        offset = 0
        for p in reference.parameters():
            p.copy_(x[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
    buffers = oracle.buffers0.clone()
    loss, grad = oracle.value_and_grad(x, inputs, targets, buffers)
    ref_loss, ref_grad = plain_loss_and_gradient(reference, inputs, targets)
    assert torch.allclose(grad, ref_grad + 0.1 * x, rtol=1e-10, atol=1e-12)
    assert float(loss) == pytest.approx(ref_loss + 0.05 * float(x @ x), rel=1e-10)
    ref_buffers = [b for b in reference.buffers() if b.is_floating_point()]
    if ref_buffers:  # the training-mode forward updated the running statistics alike
        assert torch.allclose(buffers, torch.cat([b.reshape(-1) for b in ref_buffers]))
        assert not torch.equal(buffers, oracle.buffers0)
    before = oracle.buffers0.clone()
    oracle.grad(x, inputs, targets)  # no buffers given: the initial ones stay untouched
    assert torch.equal(oracle.buffers0, before)


def test_replicas_are_independent():
    ds, inputs, _ = EXPECTED["small_cnn"]
    torch.manual_seed(0)
    oracle = ModuleOracle(MODELS.get("small_cnn")(ds), LOSSES.get("crossentropy"),
                          REGULARIZERS.get("none"), 0.0)
    twin = oracle.replicate(torch.device("cpu"))
    x = torch.randn(oracle.layout.dim)
    targets = torch.tensor([1, 2])
    g1 = oracle.grad(x, inputs, targets)
    twin.grad(torch.zeros_like(x), inputs, targets)  # must not disturb the first replica
    assert torch.equal(oracle.grad(x, inputs, targets), g1)
    assert twin.module is not oracle.module
