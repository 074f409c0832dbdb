"""Theoretical step sizes: limits where every formula must reduce to gradient descent's 1/L.

With the identity compressor (omega = 0, alpha = 1) and full participation the compressed
methods are gradient descent, whose classical step size on an L-smooth function is 1/L (and
1/(2 mu) caps the PL variants); the conftest quadratic has L = L_i = 2 and mu = 1 exactly.
"""

import math

import pytest

from fl_pytorch.algorithms.ef21 import ef21_constants
from fl_pytorch.engine.simulation import build_simulation


def _sizes(quad_config, name, flag, **changes):
    options = f"internal_sgd:full-gradient,{flag}"
    return build_simulation(quad_config(algorithm=name, algorithm_options=options, **changes)
                            ).step_sizes


@pytest.mark.parametrize("name,flag", [
    ("dcgd", "th_stepsize_cvx"), ("dcgd", "th_stepsize_noncvx"), ("diana", "th_stepsize_cvx"),
    ("marina", "th_stepsize_cvx"), ("marina", "th_stepsize_noncvx"),
    ("pp-marina", "th_stepsize_cvx"), ("pp-marina", "th_stepsize_noncvx"),
    ("ef21", "th_stepsize_cvx"), ("ef21", "th_stepsize_noncvx"),
    ("ef21-pp", "th_stepsize_cvx"), ("ef21-pp", "th_stepsize_noncvx")])
def test_identity_compressor_and_full_participation_give_one_over_l(quad_config, name, flag):
    assert _sizes(quad_config, name, flag).global_lr == pytest.approx(1 / 2, rel=1e-3)


def test_gradskip_defaults_give_local_step_one_over_l_max_and_server_step_one(quad_config):
    sizes = _sizes(quad_config, "gradskip", "th_stepsize_cvx")
    assert sizes.global_lr == 1.0 and sizes.local_lr == pytest.approx(1 / 2)


def test_l2_regularizer_shifts_the_smoothness_constant(quad_config):
    sizes = _sizes(quad_config, "dcgd", "th_stepsize_cvx", global_regulizer="cvx_l2norm",
                   global_regulizer_alpha=0.5)
    assert sizes.global_lr == pytest.approx(1 / 2.5)


@pytest.mark.parametrize("spec", ["topk:1", "topk:3", "topk:7", "randk:2"])
@pytest.mark.parametrize("flag", ["th_stepsize_cvx", "th_stepsize_noncvx"])
def test_ef21_pp_grid_search_matches_ef21_closed_form_at_full_participation(quad_config, spec,
                                                                            flag):
    pp = _sizes(quad_config, "ef21-pp", flag, client_compressor=spec).global_lr
    assert pp == pytest.approx(_sizes(quad_config, "ef21", flag, client_compressor=spec)
                               .global_lr, rel=2e-3)
    assert pp <= _sizes(quad_config, "ef21", flag, client_compressor=spec).global_lr


def test_ef21_constants():
    theta, beta = ef21_constants(0.36)
    assert theta == pytest.approx(0.2) and beta == pytest.approx(0.64 / 0.2)


def test_more_compression_or_less_participation_never_allows_a_longer_step(quad_config):
    for name in ("dcgd", "diana", "marina", "cofig", "frecon", "pp-marina"):
        flag = "th_stepsize_noncvx"
        light = _sizes(quad_config, name, flag, client_compressor="randk:8").global_lr
        heavy = _sizes(quad_config, name, flag, client_compressor="randk:2").global_lr
        assert heavy < light, name
        if name in ("dcgd", "cofig", "frecon", "pp-marina"):  # theorems with sampling
            partial = _sizes(quad_config, name, flag, client_compressor="randk:8",
                             client_sampling_type="uniform", num_clients_per_round=3)
            assert partial.global_lr < light, name
    assert math.isclose(_sizes(quad_config, "cofig", "th_stepsize_cvx").global_lr,
                        min(1 / (2 * (2 + 8 / 10)), 10 / (math.sqrt(10) * 2)))
