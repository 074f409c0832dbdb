"""Downlink bits and replicas (``--server-compressor``), against closed-form bit counts."""

import numpy as np
import pytest
import torch

from fl_pytorch import ConfigError, run
from fl_pytorch.compressors import parse_compressor
from fl_pytorch.core.downlink import Downlink
from fl_pytorch.engine.simulation import build_simulation

D = 10  # variables of the conftest quadratic


@pytest.mark.parametrize("sampling", [dict(client_sampling_type="full"),
                                      dict(client_sampling_type="uniform",
                                           num_clients_per_round=3)])
def test_identity_downlink_costs_32_d_per_client_per_round_in_fp32(quad_config, tmp_path,
                                                                   sampling):
    m = run(quad_config(algorithm="fedavg", compute_type="fp32", rounds=4, **sampling),
            out=tmp_path / "r.bin")["metrics"]
    clients = m["clients_in_round"][1:]
    np.testing.assert_array_equal(m["bits_down_round"][1:], 32 * D * clients)
    assert m["bits_down_cum"][-1] == 32 * D * clients.sum()


def test_broadcast_state_and_flags_are_counted(quad_config, tmp_path):
    scaffold = run(quad_config(algorithm="scaffold", compute_type="fp32", rounds=2),
                   out=tmp_path / "s.bin")["metrics"]
    np.testing.assert_array_equal(scaffold["bits_down_round"][1:], 2 * 32 * D * 10)  # x and c
    marina = run(quad_config(algorithm="marina", compute_type="fp32", rounds=2),
                 out=tmp_path / "m.bin")["metrics"]
    np.testing.assert_array_equal(marina["bits_down_round"][1:], (32 * D + 1) * 10)  # x, coin


def test_compressed_downlink_sends_differences_to_the_replica():
    x0 = torch.zeros(4, dtype=torch.float64)
    link = Downlink(parse_compressor("topk:1"), x0)
    x = torch.tensor([3.0, -1.0, 0.5, 2.0], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    seen, _, bits = link.send(x, {}, gen)
    assert seen.tolist() == [3.0, 0.0, 0.0, 0.0] and bits == 64 + 2
    c = torch.tensor([0.5, 1.0, 0.25, 0.125], dtype=torch.float64)
    seen, sent, bits = link.send(x, {"c": c, "flag": True}, gen)
    assert seen.tolist() == [3.0, 0.0, 0.0, 2.0]  # the largest remaining difference
    assert sent["c"].tolist() == [0.0, 1.0, 0.0, 0.0] and sent["flag"] is True
    assert bits == 2 * (64 + 2) + 1  # model and c: one value and its index each; the flag
    scaled = Downlink(parse_compressor("randk:2"), x0)  # unbiased: used as C / (omega + 1)
    seen, _, _ = scaled.send(x, {}, torch.Generator().manual_seed(1))
    kept = seen != 0
    assert kept.sum() == 2  # rand-2 scales by d/k = 2, then by 1/(omega + 1) = 1/2
    torch.testing.assert_close(seen[kept], x[kept])


def test_bad_server_compressor_names_its_option(quad_config):
    with pytest.raises(ConfigError, match="--server-compressor: invalid value 'topk:0'"):
        build_simulation(quad_config(server_compressor="topk:0"))
