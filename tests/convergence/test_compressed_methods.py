"""Non-IID quadratic, rand-k, full gradients: DIANA and MARINA reach x*; DCGD stalls at a noise
floor set by the compression of the non-zero local gradients at x*."""

import numpy as np
import pytest

from fl_pytorch import run

SPEC = "clients:10,samples_per_client:50,variables:10,homogeneous:0,l:2,mu:1,noise:1.0"


def _distances(quad_config, tmp_path, algorithm, lr, rounds=600):
    cfg = quad_config(algorithm=algorithm, dataset_generation_spec=SPEC, global_lr=lr,
                      client_compressor="randk:30%", rounds=rounds, eval_every=1)
    return run(cfg, out=tmp_path / f"{algorithm}.bin")["metrics"]["dist_to_solution"]


@pytest.mark.parametrize("algorithm", ["diana", "marina"])
def test_variance_reduced_methods_reach_the_minimizer(quad_config, tmp_path, algorithm):
    # omega = 10/3 - 1; DIANA's theoretical step 1/(L(1 + 6 omega / n)) = 0.29; MARINA's
    # 1/(L(1 + sqrt((1-p) omega / (p n)))) = 0.33 with p = 1/(omega+1).
    dist = _distances(quad_config, tmp_path, algorithm, lr=0.25)
    assert dist[-1] < 1e-6


def test_dcgd_stalls_at_a_noise_floor(quad_config, tmp_path):
    dist = _distances(quad_config, tmp_path, "dcgd", lr=0.25)
    floor = np.median(dist[-100:])
    assert floor > 1e-3
    assert floor > 0.5 * np.median(dist[200:300])  # stalled, not slowly converging
