"""A batch of client results is aggregated to the last bit as its clients' single results are,
however the clients are grouped into batches (locally, or on remote workers)."""

import pytest
import torch

from fl_pytorch.core.aggregation import sum_rows, weighted_mean
from fl_pytorch.core.local import BatchResult


def _batch(ids, messages):
    zeros = torch.zeros(len(ids), dtype=torch.int64)
    return BatchResult(list(ids), messages, {}, zeros, zeros, zeros)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_sum_rows_adds_in_order_like_repeated_add(dtype):
    g = torch.Generator().manual_seed(0)
    for trial in range(100):
        c = int(torch.randint(1, 40, (1,), generator=g))
        scale = 10.0 ** torch.randint(-8, 8, (c, 1), generator=g)
        t = (torch.randn(c, 9, generator=g, dtype=torch.float64) * scale).to(dtype)
        t[:, 0], t[:, 1] = -0.0, 0.0  # all negative zeros keep their sign; mixed ones do not
        t[0, 2], t[1:, 2] = -0.0, 0.0
        if c > 2:
            t[2, 3], t[1, 4] = float("inf"), float("nan")
        expected = t[0].clone()
        for row in t[1:]:
            expected.add_(row)
        assert sum_rows(t).numpy().tobytes() == expected.numpy().tobytes(), trial


def test_a_batch_sums_as_its_clients_do_whatever_the_grouping():
    g = torch.Generator().manual_seed(1)
    ids = list(range(3, 43, 2))  # 20 clients of 60
    weights = torch.rand(60, generator=g, dtype=torch.float64)
    messages = {"delta": torch.randn(20, 7, generator=g, dtype=torch.float64) * 1e3,
                "dc": torch.randn(20, 7, generator=g, dtype=torch.float64)}
    one = weighted_mean([_batch(ids, messages)], weights)
    singles = weighted_mean(_batch(ids, messages).split(), weights)
    groups = [_batch(ids[a:b], {k: v[a:b] for k, v in messages.items()})
              for a, b in ((12, 20), (0, 5), (5, 12))]  # out of client order, as groups may be
    mixed = weighted_mean([groups[0], *groups[1].split(), groups[2]], weights)
    for key in messages:
        assert one[key].numpy().tobytes() == singles[key].numpy().tobytes(), key
        assert mixed[key].numpy().tobytes() == singles[key].numpy().tobytes(), key
