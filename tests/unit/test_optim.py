"""Optimizer fast path and learning-rate schedules."""

import math

import pytest
import torch

from fl_pytorch.core.optim import PlainSGD, build_optimizer, scheduled_lr


def test_plain_sgd_is_bit_identical_to_torch_sgd():
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(50, generator=gen), None
    b = a.clone()
    fast, ref = build_optimizer("sgd", a, 0.37, 0.0, 0.0), torch.optim.SGD([b], lr=0.37)
    assert isinstance(fast, PlainSGD)
    for _ in range(10):
        g = torch.randn(50, generator=gen)
        a.grad, b.grad = g.clone(), g.clone()
        fast.step()
        ref.step()
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", ["momentum", "adam", "rmsprop", "adagrad"])
def test_stateful_optimizers_use_torch_optim(name):
    p = torch.zeros(3)
    opt = build_optimizer(name, p, 0.1, 0.9, 0.0)
    assert isinstance(opt, torch.optim.Optimizer)
    for _ in range(2):
        p.grad = torch.ones(3)
        opt.step()
    assert (p < 0).all()


def test_schedules():
    assert scheduled_lr("static", 0.5, 7, 10) == 0.5
    assert scheduled_lr("cosine", 0.5, 0, 10) == 0.5
    assert scheduled_lr("cosine", 0.5, 5, 10) == pytest.approx(0.25)
    assert scheduled_lr("cosine", 0.5, 9, 10) == pytest.approx(0.25 * (1 + math.cos(0.9 * math.pi)))
    assert [scheduled_lr("step", 1.0, t, 8) for t in (0, 3, 4, 5, 6, 7)] == \
        [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]


@pytest.mark.parametrize("name,momentum,torch_momentum", [
    ("sgd", 0.5, 0.5), ("rmsprop", 0.5, 0.5), ("momentum", 0.0, 0.9), ("momentum", 0.3, 0.3)])
def test_momentum_as_the_original(name, momentum, torch_momentum):
    """The original's sgd and rmsprop take --*-momentum; 'momentum' means 0.9 when it is 0."""
    opt = build_optimizer(name, torch.zeros(3), 0.1, momentum, 0.0)
    assert opt.param_groups[0]["momentum"] == torch_momentum


@pytest.mark.parametrize("name,gamma,fractions", [("cifar_1", 0.1, (0.5, 0.75)),
                                                  ("cifar_2", 0.2, (0.3, 0.6, 0.8))])
@pytest.mark.parametrize("rounds", [1, 2, 3, 7, 10, 21])
def test_cifar_schedules_match_torch_multisteplr_stepped_per_round(name, gamma, fractions,
                                                                     rounds):
    """The original built MultiStepLR(milestones=int(f R)) and stepped it once per round."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.3)
    ref = torch.optim.lr_scheduler.MultiStepLR(opt, [int(f * rounds) for f in fractions],
                                               gamma=gamma)
    for t in range(rounds):
        assert scheduled_lr(name, 0.3, t, rounds) == pytest.approx(opt.param_groups[0]["lr"],
                                                                   rel=1e-12)
        opt.step()
        ref.step()
