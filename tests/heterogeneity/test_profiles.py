"""Client device profiles: deterministic from the seed, the stated distribution, profile files."""

import math

import numpy as np
import pytest

from fl_pytorch.errors import ConfigError
from fl_pytorch.heterogeneity import REFERENCE, build_profile, check_profile
from fl_pytorch.heterogeneity.streams import DROPOUT, uniforms

FIELDS = ("flops", "up_bps", "down_bps", "latency_s")


def test_same_seed_same_devices_other_seed_other_devices():
    a, b = build_profile("lognormal:0.7", 50, 7), build_profile("lognormal:0.7", 50, 7)
    c = build_profile("lognormal:0.7", 50, 8)
    for name in FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name))
        assert not np.any(getattr(a, name) == getattr(c, name))


def test_a_client_keeps_its_device_whatever_the_number_of_clients():
    small, large = build_profile("lognormal:1", 10, 3), build_profile("lognormal:1", 300, 3)
    for name in FIELDS:
        assert np.array_equal(getattr(small, name), getattr(large, name)[:10])


def test_uniform_is_the_reference_device_for_everyone():
    p = build_profile("uniform", 6, 1)
    assert {p.device(i) for i in range(6)} == {REFERENCE}


@pytest.mark.parametrize("sigma", [0.3, 1.5])
def test_lognormal_factors_have_median_one_and_the_given_spread(sigma):
    n = 20000
    p = build_profile(f"lognormal:{sigma}", n, 11)
    logs = [np.log(p.flops / REFERENCE.flops), np.log(p.up_bps / REFERENCE.up_bps),
            np.log(p.down_bps / REFERENCE.down_bps), np.log(p.latency_s / REFERENCE.latency_s)]
    for z in logs:  # log factor ~ N(0, sigma^2): 5 standard errors of the mean and of the std
        assert abs(z.mean()) < 5 * sigma / math.sqrt(n)
        assert abs(z.std() - sigma) < 5 * sigma / math.sqrt(2 * n)
    # the four factors are independent of each other
    assert abs(np.corrcoef(logs[0], logs[1])[0, 1]) < 5 / math.sqrt(n)


def test_hash_uniforms_are_uniform_and_distinct_per_coordinate():
    u = uniforms(5, 3, np.arange(100000), DROPOUT)
    assert 0 <= u.min() and u.max() < 1
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    expected = 10000  # chi-square with 9 degrees of freedom: 99.9% quantile 27.9
    assert ((counts - expected) ** 2 / expected).sum() < 27.9
    assert not np.any(u == uniforms(5, 4, np.arange(100000), DROPOUT))


def _write(path, text):
    path.write_text(text)
    return f"file:{path}"


def test_profile_file_gives_each_client_its_row(tmp_path):
    spec = _write(tmp_path / "p.csv", "client,flops,up_bps,down_bps,latency_s\n"
                  "1,2e9,5e5,1e6,0.1\n0,1e9,1e6,2e6,0\n2,3e9,1e5,1e7,0.2\n")
    p = build_profile(spec, 2, seed=0)  # the row of client 2 is not used by a 2-client run
    assert p.flops.tolist() == [1e9, 2e9] and p.up_bps.tolist() == [1e6, 5e5]
    assert p.down_bps.tolist() == [2e6, 1e6] and p.latency_s.tolist() == [0.0, 0.1]
    with pytest.raises(ConfigError, match=r"has no row for client 3 \(the run has 4 clients"):
        build_profile(spec, 4, seed=0)


@pytest.mark.parametrize("text, message", [
    ("client,flops,up_bps,down_bps\n0,1,1,1\n", "missing column 'latency_s'; the header must "
                                                "name client, flops, up_bps, down_bps, latency_s"),
    ("client,flops,up_bps,down_bps,latency_s,gpu\n0,1,1,1,0,x\n", "unknown column 'gpu'"),
    ("client,flops,up_bps,down_bps,latency_s\n0,0,1,1,0\n", "line 2: flops '0' must be a finite "
                                                            "number > 0"),
    ("client,flops,up_bps,down_bps,latency_s\n0,1,1,1,-1\n", "line 2: latency_s '-1' must be a "
                                                             "finite number >= 0"),
    ("client,flops,up_bps,down_bps,latency_s\n0,1,1,1,0\n0,1,1,1,0\n", "line 3: client 0 "
                                                                       "appears twice"),
    ("client,flops,up_bps,down_bps,latency_s\nx,1,1,1,0\n", "client 'x' must be an integer"),
    ("client,flops,up_bps,down_bps,latency_s\n", "no client rows"),
])
def test_bad_profile_files_are_refused_naming_file_line_and_column(tmp_path, text, message):
    spec = _write(tmp_path / "p.csv", text)
    assert message in check_profile(spec)
    with pytest.raises(ConfigError, match="--client-profile"):
        build_profile(spec, 1, seed=0)


@pytest.mark.parametrize("spec, message", [
    ("gaussian", "valid: uniform, lognormal:SIGMA, file:PROFILE.csv"),
    ("lognormal", "valid: uniform, lognormal:SIGMA, file:PROFILE.csv"),
    ("lognormal:-1", "SIGMA must be in (0, 10]"),
    ("lognormal:nan", "SIGMA must be in (0, 10]"),
    ("lognormal:abc", "SIGMA must be a number"),
    ("uniform:2", "valid: uniform"),
    ("file:/no/such.csv", "No such file or directory"),
])
def test_bad_specs_are_refused_with_the_valid_forms(spec, message):
    assert message in check_profile(spec)
    assert check_profile("lognormal:0.5") is None and check_profile("uniform") is None
