"""Compressed SCAFFOLD on the paper's section 4.1 problem (rand-k 40% on both messages).

The paper's option II stalls; the damped control variates (``c_i += a C(dc_i)``, ``c += a mean
C(dc_i)``, a = 1/(1+omega)) keep ``c = mean c_i`` and converge linearly; compressing only the
model update keeps exact control variates and converges too.
"""

import pytest

from fl_pytorch import ConfigError, run
from fl_pytorch.engine.simulation import build_simulation

SECTION_4_1 = dict(rounds=100, global_lr=0.5, local_lr=1.0, number_of_local_iters=1,
                   dataset_generation_spec="clients:10,samples_per_client:100,variables:20,"
                   "homogeneous:0,l:2,mu:1", client_compressor="randk:40%", eval_every=10,
                   algorithm="scaffold")


def _final_distance(quad_config, tmp_path, options):
    cfg = quad_config(**SECTION_4_1, algorithm_options=f"internal_sgd:full-gradient,{options}")
    result = run(cfg, out=tmp_path / "r.bin")
    assert result["status"] == "finished", result["error"]
    return result["metrics"]["dist_to_solution"][-1], result["metrics"]


def test_damped_control_variates_converge_where_option_two_stalls(quad_config, tmp_path):
    damped, _ = _final_distance(quad_config, tmp_path, "variant:damped")
    stalled, _ = _final_distance(quad_config, tmp_path, "variant:option2")
    assert damped < 1e-6
    assert stalled > 1e-1


def test_compressing_only_the_model_update_converges_and_sends_dc_in_full(quad_config, tmp_path):
    dist, metrics = _final_distance(quad_config, tmp_path, "compress:model")
    assert dist < 1e-6
    k, d = 8, 20  # rand-k 40% of 20: 8 values (64 bits in fp64) and 8 indices (5 bits)
    assert (metrics["bits_up_per_client"][1:] == k * (64 + 5) + d * 64).all()


def test_cv_rate_belongs_to_the_damped_variant(quad_config):
    cfg = quad_config(**SECTION_4_1, algorithm_options="cv_rate:0.5")
    with pytest.raises(ConfigError, match="cv_rate is the rate of variant:damped.*valid"):
        build_simulation(cfg)
    topk = quad_config(**{**SECTION_4_1, "client_compressor": "topk:4"},
                       algorithm_options="variant:damped")
    with pytest.raises(ConfigError, match="variant:damped needs cv_rate:A.*'topk:4'"):
        build_simulation(topk)
    assert build_simulation(topk.replace(
        algorithm_options="variant:damped,cv_rate:0.25")).options["cv_rate"] == 0.25


def test_the_damped_default_rate_is_one_over_omega_plus_one(quad_config):
    sim = build_simulation(quad_config(**SECTION_4_1, algorithm_options="variant:damped"))
    assert sim.options["cv_rate"] == pytest.approx(1 / (20 / 8))  # omega = d/k - 1 = 1.5
