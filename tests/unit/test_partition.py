"""Partitioners: every sample in exactly one client; Dirichlet's alpha controls the label skew."""

import numpy as np
import pytest

from fl_pytorch import ConfigError
from fl_pytorch.data.partition import Partition, parse_partition, split

LABELS = np.repeat(np.arange(10), 300)  # 3,000 samples, 10 balanced classes


def label_shares(parts, labels=LABELS, classes=10):
    return np.array([np.bincount(labels[p], minlength=classes) / len(p) for p in parts])


def assert_exact_cover(parts, n):
    joined = np.concatenate(parts)
    assert np.array_equal(np.sort(joined), np.arange(n))  # each index once, none missing
    assert all(len(p) > 0 for p in parts)


@pytest.mark.parametrize("spec", ["iid", "sorted", "shards:2", "dirichlet:0.1", "dirichlet:100"])
def test_every_sample_belongs_to_exactly_one_client(spec):
    parts = split(parse_partition(spec), len(LABELS), 20, LABELS, np.random.default_rng(0))
    assert len(parts) == 20
    assert_exact_cover(parts, len(LABELS))


def test_dirichlet_large_alpha_is_near_iid():
    parts = split(Partition("dirichlet", 1000.0), len(LABELS), 10, LABELS,
                  np.random.default_rng(1))
    shares = label_shares(parts)
    assert np.abs(shares - 0.1).max() < 0.05  # every client holds ~10% of every class
    sizes = np.array([len(p) for p in parts])
    assert sizes.min() > 0.8 * sizes.mean()


def test_dirichlet_small_alpha_gives_few_classes_per_client():
    parts = split(Partition("dirichlet", 0.1), len(LABELS), 10, LABELS,
                  np.random.default_rng(1))
    shares = label_shares(parts)
    classes_held = (shares > 0.05).sum(axis=1)  # classes making up more than 5% of a client
    assert np.median(classes_held) <= 3, classes_held
    iid = label_shares(split(Partition("iid"), len(LABELS), 10, LABELS,
                             np.random.default_rng(1)))
    assert (iid > 0.05).sum(axis=1).min() == 10  # the same measurement on IID: all classes


def test_sorted_gives_each_client_one_class_and_shards_two():
    sorted_parts = split(Partition("sorted"), len(LABELS), 10, LABELS, np.random.default_rng(0))
    assert [len(set(LABELS[p])) for p in sorted_parts] == [1] * 10
    shard_parts = split(Partition("shards", 2), len(LABELS), 10, LABELS, np.random.default_rng(0))
    assert max(len(set(LABELS[p])) for p in shard_parts) <= 2
    assert {len(p) for p in shard_parts} == {300}


def test_iid_is_reproducible_and_seed_dependent():
    a = split(Partition("iid"), 100, 7, None, np.random.default_rng(5))
    b = split(Partition("iid"), 100, 7, None, np.random.default_rng(5))
    c = split(Partition("iid"), 100, 7, None, np.random.default_rng(6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    assert sorted(len(p) for p in a) == [14, 14, 14, 14, 14, 15, 15]


@pytest.mark.parametrize("spec,needle", [("dirichlet:0", "alpha > 0"), ("dirichlet", "alpha"),
                                         ("shards:1.5", "whole number"), ("random", "valid: iid")])
def test_bad_specs_are_config_errors(spec, needle):
    with pytest.raises(ConfigError, match="--partition") as e:
        parse_partition(spec)
    assert needle in str(e.value) and repr(spec) in str(e.value)


def test_more_clients_than_samples_is_an_error():
    with pytest.raises(ConfigError, match="--num-clients: invalid value 11"):
        split(Partition("iid"), 10, 11, None, np.random.default_rng(0))


def test_command_line_partition_errors_are_one_line(capsys, tmp_path):
    from fl_pytorch.cli import main
    assert main(["--partition", "dirichlet:0", "--out", str(tmp_path / "x.bin")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: --partition: invalid value 'dirichlet:0'; dirichlet needs a "
                   "concentration alpha > 0 and <= 1e+06, e.g. dirichlet:0.5 (iid splits evenly)")
