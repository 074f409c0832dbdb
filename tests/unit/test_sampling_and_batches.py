"""Client sampling, minibatch plans of the gradient estimators, weighted aggregation."""

import pytest
import torch

from fl_pytorch.core.aggregation import weighted_mean
from fl_pytorch.core.batches import local_plan
from fl_pytorch.core.local import ClientResult
from fl_pytorch.core.sampling import sample_clients
from fl_pytorch.utils.rng import generator


def test_uniform_sampling_is_k_distinct_and_uniform():
    counts = torch.zeros(10)
    for t in range(3000):
        s = sample_clients("uniform", 10, 3, 0.0, generator(1, t, -1))
        assert len(set(s)) == 3 and s == sorted(s)
        counts[s] += 1
    freq = counts / 3000  # each client participates with probability 3/10
    assert (freq - 0.3).abs().max() < 5 * (0.3 * 0.7 / 3000) ** 0.5


def test_poisson_sampling_has_rate_p_and_can_be_empty():
    sizes = [len(sample_clients("poisson", 20, 0, 0.1, generator(2, t, -1)))
             for t in range(3000)]
    mean = sum(sizes) / len(sizes)
    assert abs(mean - 2.0) < 5 * (20 * 0.1 * 0.9 / 3000) ** 0.5
    assert 0 in sizes


def test_full_sampling():
    assert sample_clients("full", 4, 1, 0.5, generator(0, 0, -1)) == [0, 1, 2, 3]


def test_epoch_plan_covers_every_sample_once_per_epoch():
    plan = local_plan("sgd", 10, 4, "10%", 2, False, torch.Generator().manual_seed(0))
    assert [len(b) for b in plan] == [4, 4, 2, 4, 4, 2]
    for epoch in (plan[:3], plan[3:]):
        assert sorted(torch.cat(epoch).tolist()) == list(range(10))


def test_step_plan_and_nice_sampling():
    plan = local_plan("sgd-nice", 50, 32, "10%", 3, True, torch.Generator().manual_seed(0))
    assert [len(b) for b in plan] == [5, 5, 5]
    assert all(len(set(b.tolist())) == 5 for b in plan)
    assert local_plan("full-gradient", 50, 32, "10%", 3, True, torch.Generator()) == [None] * 3
    # a minibatch at least as large as the data is the full gradient
    assert local_plan("sgd", 20, 32, "10%", 2, True, torch.Generator()) == [None] * 2


@pytest.mark.parametrize("weights", [[0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]])
def test_weighted_mean_normalizes_over_participants(weights):
    w = torch.tensor(weights, dtype=torch.float64)
    msgs = [ClientResult(i, {"m": torch.full((2,), float(i))}, {}, 0, 0, 0) for i in (1, 3)]
    agg = weighted_mean(msgs, w)
    expected = (w[1] * 1 + w[3] * 3) / (w[1] + w[3])
    assert torch.allclose(agg["m"], expected.expand(2).to(agg["m"].dtype))


def test_stateful_reshuffles_keep_their_permutation_across_rounds(quad_config, tmp_path):
    """Without the client-state store, once_per_client and until_exhausted would draw a new
    permutation every round, exactly as each_round does."""
    from fl_pytorch import run
    finals = {}
    for mode in ("each_round", "once_per_client", "until_exhausted"):
        cfg = quad_config(algorithm="dcgd", rounds=4, local_lr=0.1, global_lr=0.5,
                          algorithm_options=f"internal_sgd:iterated-minibatch,reshuffle:{mode},"
                                            "tau:25%")
        finals[mode] = run(cfg, out=tmp_path / f"{mode}.bin")["final_params"]
    assert not (finals["once_per_client"] == finals["each_round"]).all()
    assert not (finals["until_exhausted"] == finals["each_round"]).all()
    assert not (finals["until_exhausted"] == finals["once_per_client"]).all()
