"""The per-(seed, round, stream) seeds: the vectorized form equals the scalar one bit for bit."""

import numpy as np
import pytest

from fl_pytorch.utils.rng import SERVER, stream_seed, stream_seeds


@pytest.mark.parametrize("seed", [0, 1, 12345678901234, 2**63 - 1])
@pytest.mark.parametrize("round_index", [0, 7, 10**9])
def test_stream_seeds_of_a_round_equal_stream_seed_of_each_stream(seed, round_index):
    streams = [SERVER, 0, 1, 2**31, 2**62] + np.random.default_rng(seed % 97).integers(
        0, 10**6, 50).tolist()
    seeds = stream_seeds(seed, round_index, streams)
    assert seeds == [stream_seed(seed, round_index, s) for s in streams]
    assert all(type(s) is int and 0 <= s < 2**63 for s in seeds)
    assert len(set(seeds)) == len(set(streams))  # distinct streams, unrelated seeds
