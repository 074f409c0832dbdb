"""FedAvg on the offline digits dataset (scikit-learn, no download) learns: 10 clients, MLP,
1 local epoch of minibatch SGD per round, 30 rounds (about 2 s on 2 CPU cores)."""

import numpy as np

from fl_pytorch import Config, run


def test_fedavg_mlp_reaches_85_percent_in_30_rounds(tmp_path):
    cfg = Config(dataset="digits", model="mlp", loss="crossentropy", algorithm="fedavg",
                 num_clients=10, num_clients_per_round=10, local_lr=0.1, batch_size=32,
                 number_of_local_iters=1, rounds=30, eval_every=10, quiet=True)
    result = run(cfg, out=tmp_path / "r.bin")
    acc = result["metrics"]["top1_acc"]
    evaluated = acc[~np.isnan(acc)]
    assert result["problem"]["num_clients"] == 10
    assert evaluated[0] < 0.2  # chance level at the start (10 classes)
    assert evaluated[-1] >= 0.85, evaluated
    assert result["metrics"]["loss"][-1] < 0.5 * result["metrics"]["loss"][0]
