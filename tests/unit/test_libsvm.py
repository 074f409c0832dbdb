"""LIBSVM text files: features, labels, splits, and the smoothness constants in dataset.info."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fl_pytorch import Config, ConfigError
from fl_pytorch.data.sparse import SparseRows
from fl_pytorch.registries import DATASETS

TEXT = """+1 1:0.5 3:1
-1 2:1.5
+1 1:1 2:-1 3:0.25
-1 3:2
"""


def load(name, path, **options):
    return DATASETS.get(name)(Config(dataset=name, data_path=str(path), offline=True, **options))


def test_text_file_becomes_sparse_features_with_bias_and_pm1_labels(tmp_path):
    (tmp_path / "tiny").write_text(TEXT)
    ds = load("libsvm", tmp_path / "tiny", num_clients=2, partition="sorted")
    assert ds.task == "binary" and ds.output_dim == 1 and ds.test_x is None
    # sorted by label: the two -1 rows first, in file order
    assert ds.y.tolist() == [-1.0, -1.0, 1.0, 1.0]
    assert isinstance(ds.x, SparseRows) and ds.x.nnz == 4 + 7  # the biases and the file's 7 values
    assert ds.x.to_dense().tolist() == [[1, 0, 1.5, 0], [1, 0, 0, 2], [1, 0.5, 0, 1],
                                        [1, 1, -1, 0.25]]
    assert ds.client_sizes().tolist() == [2.0, 2.0]


def test_zero_one_labels_and_test_file(tmp_path):
    (tmp_path / "a1a").write_text(TEXT.replace("-1 ", "0 ").replace("+1 ", "1 "))
    (tmp_path / "a1a.t").write_text("1 4:3\n0 1:1\n")  # a feature the train file lacks
    ds = load("a1a", tmp_path, num_clients=2)
    assert sorted(ds.y.tolist()) == [-1.0, -1.0, 1.0, 1.0]
    assert ds.x.shape == (4, 5)
    assert ds.test_x.to_dense().tolist() == [[1, 0, 0, 0, 3], [1, 1, 0, 0, 0]]
    assert ds.test_y.tolist() == [1.0, -1.0]


def test_mushrooms_keeps_a_fixed_fifth_for_testing(tmp_path):
    (tmp_path / "mushrooms").write_text(TEXT * 5)
    a, b = load("mushrooms", tmp_path), load("mushrooms", tmp_path)
    assert a.x.shape[0] == 16 and a.test_x.shape[0] == 4
    assert torch.equal(a.test_x.to_dense(), b.test_x.to_dense())


def test_bad_files_are_config_errors(tmp_path):
    (tmp_path / "three").write_text(TEXT + "2 1:1\n")
    with pytest.raises(ConfigError, match="3 label values"):
        load("libsvm", tmp_path / "three")
    with pytest.raises(ConfigError, match="needs the path of a LIBSVM text file"):
        load("libsvm", tmp_path)
    with pytest.raises(ConfigError) as e:
        load("w8a", tmp_path)
    assert "not found under" in str(e.value)
    assert "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/w8a" in str(e.value)


def logistic_objective(a, b):
    return lambda x: F.softplus(-b * (a @ x)).mean()


def test_smoothness_constants_match_the_hessian_at_zero(tmp_path):
    """At x = 0 the logistic Hessian is exactly A^T A / (4 n): its top eigenvalue is L_i."""
    rng = np.random.default_rng(3)
    lines = [f"{rng.choice(['+1', '-1'])} " + " ".join(
        f"{j}:{rng.normal():.6f}" for j in sorted(rng.choice(np.arange(1, 9), 4, replace=False)))
        for _ in range(60)]
    (tmp_path / "gen").write_text("\n".join(lines) + "\n")
    ds = load("libsvm", tmp_path / "gen", num_clients=3, client_weights="data-size")
    dense = ds.x.to_dense()
    x0 = torch.zeros(ds.x.shape[1], dtype=torch.float64)
    for ix, l_i in zip(ds.client_indices, ds.info["L_i"]):
        h = torch.autograd.functional.hessian(logistic_objective(dense[ix], ds.y[ix]), x0)
        assert l_i == pytest.approx(float(torch.linalg.eigvalsh(h)[-1]), rel=1e-10)
        x = torch.randn(ds.x.shape[1], dtype=torch.float64)  # elsewhere the curvature is lower
        h = torch.autograd.functional.hessian(logistic_objective(dense[ix], ds.y[ix]), x)
        assert float(torch.linalg.eigvalsh(h)[-1]) <= l_i * (1 + 1e-12)
    h = torch.autograd.functional.hessian(logistic_objective(dense, ds.y), x0)  # data-size w_i
    assert ds.info["L"] == pytest.approx(float(torch.linalg.eigvalsh(h)[-1]), rel=1e-10)
    assert ds.info["mu"] == 0.0 and len(ds.info["mu_i"]) == 3
