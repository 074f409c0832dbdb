"""Loaders read tiny files written in the real on-disk formats, through the users' code path."""

import logging
import pickle

import numpy as np
import pytest
import torch

from fl_pytorch import Config, ConfigError
from fl_pytorch.data.cifar import MEAN, STD
from fl_pytorch.data.tff import BOS, EOS, IGNORE, OOV, PAD, SEQ_LEN, VOCAB, VOCAB_SIZE
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.registries import DATASETS
from tests.data.files import write_cifar10, write_femnist, write_idx, write_shakespeare


def load(name, tmp_path, **options):
    return DATASETS.get(name)(Config(dataset=name, data_path=str(tmp_path), offline=True,
                                     **options))


def test_cifar10_batches_are_read_and_federated(tmp_path):
    batches = write_cifar10(tmp_path, per_batch=20, test=30)
    ds = load("cifar10_fl", tmp_path)
    assert ds.x.shape == (100, 3, 32, 32) and ds.test_x.shape == (30, 3, 32, 32)
    assert ds.num_clients == 10 and ds.client_sizes().tolist() == [10.0] * 10
    assert ds.output_dim == 10 and ds.task == "classification"
    rows = np.concatenate([batches[f"data_batch_{i}"][0] for i in range(1, 6)])
    labels = np.concatenate([batches[f"data_batch_{i}"][1] for i in range(1, 6)])
    # the samples were reordered by the partition: find sample 0 by its pixels
    expected = (torch.from_numpy(rows[0].reshape(3, 32, 32)).float() / 255 -
                torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    match = [i for i in range(100) if torch.allclose(ds.x[i], expected)]
    assert len(match) == 1 and int(ds.y[match[0]]) == labels[0]
    assert sorted(ds.y.tolist()) == sorted(labels.tolist())
    assert ds.test_y.tolist() == batches["test_batch"][1]


def test_cifar_default_clients_by_name_and_by_class_split(tmp_path):
    write_cifar10(tmp_path)
    assert load("cifar10", tmp_path).num_clients == 1  # the original tool's centralized run
    assert load("cifar10", tmp_path, num_clients=4).num_clients == 4
    by_class = load("cifar10_fl_by_class", tmp_path)
    assert [len(set(by_class.y[ix].tolist())) for ix in by_class.client_indices] == [1] * 10
    with pytest.raises(ConfigError, match="always split 'sorted'"):
        load("cifar10_fl_by_class", tmp_path, partition="dirichlet:0.5")


def test_missing_cifar_offline_says_where_and_how(tmp_path):
    with pytest.raises(ConfigError) as e:
        load("cifar100", tmp_path)
    msg = str(e.value)
    assert msg.startswith("--data-path: dataset 'cifar100' not found under")
    assert str(tmp_path) in msg and "cifar-100-python.tar.gz" in msg


def test_cifar_reader_refuses_code_in_a_planted_pickle(tmp_path):
    write_cifar10(tmp_path)

    class Evil:
        def __reduce__(self):
            return (print, ("owned",))
    with open(tmp_path / "cifar-10-batches-py" / "test_batch", "wb") as f:
        pickle.dump({"data": Evil(), "labels": [0]}, f, protocol=2)
    with pytest.raises(ConfigError, match="refused to load: .*print"):
        load("cifar10", tmp_path)


def test_femnist_natural_clients_and_pooled_emnist(tmp_path):
    written = write_femnist(tmp_path, {"f_02": 5, "f_01": 7, "f_03": 4}, {"f_01": 3, "f_09": 2})
    ds = load("femnist", tmp_path)
    assert ds.info["client_ids"] == ["f_01", "f_02", "f_03"]  # sorted ids
    assert ds.client_sizes().tolist() == [7.0, 5.0, 4.0]
    assert ds.x.shape == (16, 1, 28, 28) and ds.test_x.shape == (5, 1, 28, 28)
    pixels, label = written[("train", "f_01")]
    assert torch.equal(ds.x[:7, 0], 1 - torch.from_numpy(pixels))  # white background -> 0
    assert ds.y[:7].tolist() == label.tolist() and ds.output_dim == 62
    assert load("femnist", tmp_path, num_clients=2).client_sizes().tolist() == [7.0, 5.0]
    pooled = load("emnist", tmp_path)
    assert pooled.num_clients == 1 and pooled.x.shape[0] == 16
    with pytest.raises(ConfigError, match="natural clients"):
        load("femnist", tmp_path, partition="iid", sort_dataset_by_class_before_split=True)


def test_shakespeare_vocabulary_rows_and_padding(tmp_path):
    write_shakespeare(tmp_path, {"ROMEO": ["abc", "x" * 100], "JULIET": ["é!"]},
                      {"NURSE": ["Hi"]})
    ds = load("shakespeare", tmp_path)
    assert ds.task == "next_token" and ds.output_dim == VOCAB_SIZE == 90 and len(VOCAB) == 86
    assert ds.info["client_ids"] == ["JULIET", "ROMEO"]
    # JULIET: one row; ROMEO: "abc" (1 row) + 102 tokens (2 rows)
    assert ds.client_sizes().tolist() == [1.0, 3.0] and ds.x.shape == (4, SEQ_LEN)
    ids = {c: VOCAB.index(c) + 1 for c in "abcx!"}
    row, target = ds.x[0], ds.y[0]
    assert row[:4].tolist() == [BOS, OOV, ids["!"], EOS] and set(row[4:].tolist()) == {PAD}
    assert target[:3].tolist() == [OOV, ids["!"], EOS] and set(target[3:].tolist()) == {IGNORE}
    abc = ds.x[1]
    assert abc[:5].tolist() == [BOS, ids["a"], ids["b"], ids["c"], EOS]
    long_x, long_y = ds.x[2:4].reshape(-1), ds.y[2:4].reshape(-1)
    assert long_x[0] == BOS and long_x[1:101].tolist() == [ids["x"]] * 100
    assert long_y[:100].tolist() == [ids["x"]] * 100 and long_y[100] == EOS
    assert (long_y[101:] == IGNORE).all() and ds.test_x.shape == (1, SEQ_LEN)


def test_mnist_idx_files_through_torchvision(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28))
    write_idx(tmp_path / "MNIST" / "raw", "train", images, np.arange(40) % 10)
    write_idx(tmp_path / "MNIST" / "raw", "t10k", images[:12], np.arange(12) % 3)
    ds = load("mnist", tmp_path, num_clients=4)
    assert ds.x.shape == (40, 1, 28, 28) and ds.num_clients == 4
    assert ds.test_y.tolist() == (np.arange(12) % 3).tolist()
    expected = (torch.from_numpy(images[:12]).float() / 255 - 0.1307) / 0.3081
    assert torch.allclose(ds.test_x[:, 0], expected, atol=1e-6)
    with pytest.raises(ConfigError, match="FashionMNIST"):
        load("fashion_mnist", tmp_path)


def test_a_run_end_to_end_with_a_batch_norm_model(tmp_path):
    write_cifar10(tmp_path)
    sim = build_simulation(Config(dataset="cifar10_fl", model="resnet20", data_path=str(tmp_path),
                                  offline=True, rounds=1, num_clients_per_round=2, quiet=True))
    assert sim.oracle.buffers0.numel() == 2 * sum(  # running mean and variance of every BN
        m.num_features for m in sim.oracle.module.modules()
        if isinstance(m, torch.nn.BatchNorm2d))


def test_a_generation_spec_for_a_file_dataset_is_ignored_with_a_warning(caplog):
    # listen on the package logger itself: an in-process CLI run (other tests) turns off
    # propagation to the root logger, where caplog normally listens
    logger = logging.getLogger("fl_pytorch")
    logger.addHandler(caplog.handler)
    try:
        ds = DATASETS.get("digits")(Config(dataset_generation_spec="clients:3"))
    finally:
        logger.removeHandler(caplog.handler)
    assert ds.num_clients == 10
    assert "--dataset-generation-spec 'clients:3' is ignored: dataset 'digits'" in caplog.text
