"""GradSkip's q with the original tool's meaning and modes (probability of stopping per step)."""

import pytest

from fl_pytorch import ConfigError
from fl_pytorch.engine.simulation import build_simulation

SPEC = "clients:4,samples_per_client:12,variables:5,homogeneous:0,l:4,mu:1"


def _q(quad_config, q, **changes):
    cfg = quad_config(algorithm="gradskip", dataset_generation_spec=SPEC,
                      algorithm_options=f"internal_sgd:full-gradient,p:0.5,q:{q}", **changes)
    return build_simulation(cfg).options["q"]


def test_values_modes_and_per_client_lists(quad_config):
    assert _q(quad_config, "0.25") == (0.25,) * 4
    assert _q(quad_config, "0.1 0.2") == (0.1, 0.2, 0.2, 0.2)  # the last value repeats
    assert _q(quad_config, "proxskip") == (0.0,) * 4
    # optimal: client i takes T_i = i + 2 per gradient, q_i = min(p (T_i/T_min - 1)/(1-p), 1)
    assert _q(quad_config, "optimal") == pytest.approx((0.0, 0.5, 1.0, 1.0))
    first = _q(quad_config, "random")
    assert first == _q(quad_config, "random") and all(0 <= v < 1 for v in first)
    assert first != _q(quad_config, "random", manual_runtime_seed=99)


@pytest.mark.parametrize("bad", ["1.5", "fast", "-0.1 0.2"])
def test_bad_q_is_refused_with_the_valid_forms(quad_config, bad):
    with pytest.raises(ConfigError, match="invalid value .* for key 'q'.*proxskip, random, "
                                          "optimal"):
        _q(quad_config, bad)


def test_adaptive_q_is_refused_naming_what_it_needs(quad_config):
    with pytest.raises(ConfigError, match="q:adaptive .*time model.*valid: proxskip"):
        _q(quad_config, "adaptive")


def test_without_smoothness_constants_the_defaults_are_the_original_tools():
    """On a dataset that does not expose L_i and mu_i (digits), p = 0.01 and q_i = 0."""
    from fl_pytorch import Config
    sim = build_simulation(Config(algorithm="gradskip", dataset="digits", model="linear",
                                  client_sampling_type="full", num_clients=4,
                                  algorithm_options="internal_sgd:full-gradient"))
    assert sim.options["p"] == 0.01 and sim.options["q"] == (0.0,) * 4
