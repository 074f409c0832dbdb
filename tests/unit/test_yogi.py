"""Yogi (core/optim.py) against a hand-computed step of Zaheer et al.'s Algorithm 2."""

import math

import pytest
import torch

from fl_pytorch.core.optim import Yogi, build_optimizer


def test_two_steps_by_hand():
    x = torch.zeros(1, dtype=torch.float64)
    opt = build_optimizer("yogi", x, 0.1, 0.0, 0.0)
    assert isinstance(opt, Yogi)
    x.grad = torch.tensor([2.0], dtype=torch.float64)
    opt.step()
    m, v = 0.1 * 2.0, 1e-6 + 0.01 * 4.0  # v < g^2: v grows by (1 - b2) g^2
    assert x.item() == pytest.approx(-0.1 * m / (math.sqrt(v) + 1e-3), rel=1e-12)
    before = x.item()
    x.grad = torch.tensor([0.1], dtype=torch.float64)
    opt.step()
    m, v = 0.9 * m + 0.1 * 0.1, v - 0.01 * 0.01  # v > g^2: v shrinks by (1 - b2) g^2 only
    assert x.item() == pytest.approx(before - 0.1 * m / (math.sqrt(v) + 1e-3), rel=1e-12)
