"""TFF's natural clients read lazily: nothing decoded at load, a bounded cache, and the same
results as the same samples held in memory."""

import dataclasses

import numpy as np
import torch

from fl_pytorch import Config
from fl_pytorch.data import lazy
from fl_pytorch.data.lazy import ClientSource
from fl_pytorch.data.tff import FEMNIST, read_clients
from fl_pytorch.engine.engine import Engine
from fl_pytorch.engine.simulation import build_simulation, client_views
from tests.data.files import write_femnist

CLIENT_BYTES = 6 * 28 * 28 * 4 + 6 * 8  # a writer of 6 images: pixels and labels


def femnist(tmp_path, **changes) -> Config:
    write_femnist(tmp_path, {f"w{i:02d}": 6 for i in range(30)}, {"t0": 5, "t1": 3})
    options = dict(dataset="femnist", model="small_cnn", data_path=str(tmp_path), offline=True,
                   num_clients_per_round=4, rounds=3, batch_size=4, metric="loss",
                   algorithm_options="internal_sgd:sgd", threadpool_for_local_opt="0",
                   quiet=True)
    return Config(**{**options, **changes})


def test_nothing_is_decoded_at_load_and_the_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(lazy, "CACHE_BYTES", 3 * CLIENT_BYTES)
    sim = build_simulation(femnist(tmp_path))
    source = sim.dataset.x.source
    # the setup checks ran the model on two samples: the first client only was decoded
    assert sim.dataset.x.shape == (180, 1, 28, 28) and source.cached_bytes == CLIENT_BYTES
    for i in range(30):
        inputs, targets = sim.client_data[i]
        assert inputs.shape == (6, 1, 28, 28) and targets.shape == (6,)
        assert source.cached_bytes <= 3 * CLIENT_BYTES


def test_a_run_on_lazy_samples_equals_the_run_on_the_samples_in_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(lazy, "CACHE_BYTES", 2 * CLIENT_BYTES)  # evictions and re-reads
    config = femnist(tmp_path)
    sim = build_simulation(config)
    ids, clients = read_clients(tmp_path / "femnist" / "fed_emnist_train.h5", FEMNIST.decode)
    dense = dataclasses.replace(sim.dataset, x=torch.cat([c[0] for c in clients]),
                                y=torch.cat([c[1] for c in clients]),
                                test_x=sim.dataset.test_x[:], test_y=sim.dataset.test_y[:])
    eager = dataclasses.replace(sim, dataset=dense, client_data=client_views(dense))
    a, b = Engine(sim).run(), Engine(eager).run()
    assert a["status"] == b["status"] == "finished"
    assert a["final_params"].tobytes() == b["final_params"].tobytes()
    for key in ("loss", "top1_acc"):
        assert np.array_equal(a["metrics"][key], b["metrics"][key])


def test_the_cache_keeps_the_most_recently_used_clients():
    reads = []

    def read(k):
        reads.append(k)
        return torch.zeros(10), torch.zeros(0)
    source = ClientSource(read, budget=2 * 40)  # two clients of 40 bytes
    for k in (0, 1, 0, 2, 0, 1):
        source.get(k)
    assert reads == [0, 1, 2, 1] and source.cached_bytes == 80
