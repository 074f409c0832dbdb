"""Exact second-order oracles: closed forms against autograd, batched against per-client.

* ``LogisticLinearOracle`` (value, gradient, Hessian) and ``LinearMSEOracle.hessian`` equal autograd
  (``torch.autograd.functional.hessian``) on random data, with and without an l2 regularizer;
* ``ClientBatch`` (dense and sparse backends, all clients or a subset) equals the per-client
  oracles, and its sparse supports hold every nonzero Hessian entry;
* ``newton_direction``: plain solve, option 2's shift, option 1's projection (eigenvalues raised
  to mu), against NumPy.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from fl_pytorch.algorithms.second_order import newton_direction
from fl_pytorch.compressors.matrix import pack, unpack
from fl_pytorch.core.client_batch import ClientBatch
from fl_pytorch.core.glm import LogisticLinearOracle
from fl_pytorch.core.losses import LOSSES, REGULARIZERS
from fl_pytorch.core.oracle import LinearMSEOracle, ModuleOracle, build_oracle

D = 7


def linear_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(D, 1, bias=False)).double()


def sparse_clients(n: int = 5, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        a = torch.randn(6 + i, D, generator=g, dtype=torch.float64)
        a = a * (torch.rand(a.shape, generator=g, dtype=torch.float64) < 0.35)
        a[:, 0] = 1.0
        out.append((a, torch.randint(0, 2, (a.shape[0],), generator=g).double() * 2 - 1))
    return out


@pytest.mark.parametrize("reg,alpha", [("none", 0.0), ("cvx_l2norm", 0.05)])
@pytest.mark.parametrize("loss", ["logistic", "mse"])
def test_closed_form_oracles_equal_autograd(loss, reg, alpha):
    model = linear_model()
    regularizer = REGULARIZERS.get(reg)
    fast = build_oracle(model, loss, LOSSES.get(loss), regularizer, alpha, 1)
    assert isinstance(fast, LogisticLinearOracle if loss == "logistic" else LinearMSEOracle)
    slow = ModuleOracle(copy.deepcopy(model), LOSSES.get(loss), regularizer, alpha)
    a, b = sparse_clients()[3]
    x = torch.randn(D, dtype=torch.float64)
    (v1, g1), (v2, g2) = fast.value_and_grad(x, a, b), slow.value_and_grad(x, a, b)
    torch.testing.assert_close(v1, v2, rtol=1e-14, atol=1e-15)
    torch.testing.assert_close(g1, g2, rtol=1e-13, atol=1e-15)
    exact = torch.autograd.functional.hessian(
        lambda w: LOSSES.get(loss)(a @ w, b) + regularizer.value(w, alpha), x)
    torch.testing.assert_close(fast.hessian(x, a, b), exact, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("backend", ["dense", "sparse"])
@pytest.mark.parametrize("clients", [[0, 1, 2, 3, 4], [1, 4]])
@pytest.mark.parametrize("loss", ["logistic", "mse"])
def test_client_batch_equals_the_per_client_oracles(loss, clients, backend):
    oracle = build_oracle(linear_model(), loss, LOSSES.get(loss), REGULARIZERS.get(
        "cvx_l2norm"), 0.01, 1)
    data = sparse_clients()
    batch = ClientBatch(oracle, data, backend)
    x = torch.randn(D, dtype=torch.float64)
    ev = batch.evaluate(x, clients)
    size = D * (D + 1) // 2
    for row, i in enumerate(clients):
        a, b = data[i]
        value, grad = oracle.value_and_grad(x, a, b)
        hess = torch.zeros(size + 1, dtype=torch.float64).scatter_(0, ev.index[row],
                                                                   ev.hessians[row])
        torch.testing.assert_close(ev.values[row], value, rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(ev.grads[row], grad, rtol=1e-13, atol=1e-15)
        torch.testing.assert_close(hess[:-1], pack(oracle.hessian(x, a, b)), rtol=1e-13,
                                   atol=1e-15)
        diagonal = torch.tensor([j * D - j * (j - 1) // 2 for j in range(D)])
        assert torch.equal(ev.index[row].gather(0, ev.diagonal[row]), diagonal)
    if backend == "sparse":  # supports are co-occurrence patterns: smaller than D entries
        assert ev.index.shape[1] < size


def test_newton_direction_options_match_numpy():
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    eig = np.array([-1.0, 0.001, 0.5, 2.0, 3.0])
    m = q @ np.diag(eig) @ q.T
    g = rng.standard_normal(5)
    upper, grad = pack(torch.tensor(m)), torch.tensor(g)
    projected = q @ np.diag(np.maximum(eig, 0.1)) @ q.T
    np.testing.assert_allclose(newton_direction(upper, grad, mu=0.1).numpy(),
                               np.linalg.solve(projected, g), rtol=1e-10)
    np.testing.assert_allclose(newton_direction(upper, grad, shift=1.5).numpy(),
                               np.linalg.solve(m + 1.5 * np.eye(5), g), rtol=1e-10)
    pd = unpack(upper, 5) + 2.0 * torch.eye(5, dtype=torch.float64)
    np.testing.assert_allclose(newton_direction(pack(pd), grad).numpy(),
                               np.linalg.solve(pd.numpy(), g), rtol=1e-10)
