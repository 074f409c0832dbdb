"""The synthetic quadratic problem enforces its spectrum and its minimizer exactly."""

import numpy as np
import pytest
import torch

from fl_pytorch.data.quadratic import generate_quadratic
from fl_pytorch.errors import ConfigError


@pytest.mark.parametrize("homogeneous", [0, 1])
@pytest.mark.parametrize("mu,big_l", [(1.0, 2.0), (0.01, 10.0)])
def test_client_and_global_spectra_are_exactly_mu_and_l(homogeneous, mu, big_l):
    ds = generate_quadratic(f"clients:6,samples_per_client:30,variables:12,"
                            f"homogeneous:{homogeneous},l:{big_l},mu:{mu},seed:3")
    n = 30
    hessians = []
    for ix in ds.client_indices:
        a = ds.x[ix].numpy()
        h = 2.0 / n * a.T @ a  # Hessian of 1/n ||A x - b||^2, built from the data itself
        eig = np.linalg.eigvalsh(h)
        assert eig[0] == pytest.approx(mu, abs=1e-8)
        assert eig[-1] == pytest.approx(big_l, abs=1e-8)
        hessians.append(h)
    eig = np.linalg.eigvalsh(np.mean(hessians, axis=0))
    assert eig[0] == pytest.approx(mu, abs=1e-8) and eig[-1] == pytest.approx(big_l, abs=1e-8)
    assert ds.info["mu"] == mu and ds.info["L"] == big_l


def test_non_iid_clients_differ_and_iid_clients_are_identical():
    non_iid = generate_quadratic("clients:3,samples_per_client:20,variables:5,homogeneous:0")
    sols = non_iid.extras["local_solutions"]
    assert np.linalg.norm(sols[0] - sols[1]) > 0.1
    iid = generate_quadratic("clients:3,samples_per_client:20,variables:5,homogeneous:1")
    a0, a1 = (iid.x[ix] for ix in iid.client_indices[:2])
    assert torch.equal(a0, a1)


def test_solution_zeroes_the_weighted_gradient():
    ds = generate_quadratic("clients:4,samples_per_client:20,variables:6,seed:1")
    w = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    x = ds.solution(w, 0.5)
    grad = 0.5 * x
    for wi, ix in zip(w, ds.client_indices):
        a, b = ds.x[ix], ds.y[ix]
        grad = grad + wi * 2.0 / len(ix) * a.T @ (a @ x - b)
    assert grad.norm() < 1e-10


@pytest.mark.parametrize("spec,needle", [
    ("variables:30,samples_per_client:10", "samples_per_client"),
    ("mu:3,l:2", "mu <= l"),
    ("colour:3", "unknown key 'colour'"),
    ("clients:x", "invalid value 'x'"),
])
def test_bad_specs_name_the_option(spec, needle):
    with pytest.raises(ConfigError, match="--dataset-generation-spec") as e:
        generate_quadratic(spec)
    assert needle in str(e.value)
