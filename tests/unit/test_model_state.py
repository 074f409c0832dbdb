"""Model state beyond x: batch-norm buffers (averaged like parameters, used by evaluation),
--use-pretrained, --train-last-layer and --turn-off-batch-normalization-and-dropout."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fl_pytorch import Config, ConfigError, run
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.registries import MODELS
from tests.data.files import write_cifar10


@pytest.fixture
def cifar(tmp_path):
    write_cifar10(tmp_path, per_batch=8, test=12)
    return tmp_path


def cifar_config(root, **changes):
    base = dict(dataset="cifar10", data_path=str(root), offline=True, model="resnet20",
                compute_type="fp64", num_clients=2, client_sampling_type="full",
                client_weights="data-size", algorithm_options="internal_sgd:full-gradient",
                run_local_steps=True, number_of_local_iters=1, local_lr=0.05, rounds=1,
                quiet=True)
    base.update(changes)
    return Config(**base)


def named(sim, flat, layout):
    return {n: flat[a:b].reshape(s) for n, s, a, b in
            zip(layout.names, layout.shapes, layout.offsets, layout.offsets[1:])}


def test_buffers_are_averaged_like_parameters_and_used_by_evaluation(cifar, tmp_path):
    cfg = cifar_config(cifar, num_clients=2, partition="sorted")
    sim = build_simulation(cfg)
    result = run(cfg, out=tmp_path / "r.bin")
    buffers = torch.from_numpy(result["final_buffers"])
    got = named(sim, buffers, sim.oracle.buffer_layout)
    # Independent: one full-batch training step per client updates bn1 with the batch
    # statistics of conv1(x_i) at x0 (momentum 0.1); the server averages with w_i = n_i / N.
    w_conv1 = named(sim, sim.x0, sim.oracle.layout)["conv1.weight"]
    mean, var, total = 0.0, 0.0, sim.dataset.x.shape[0]
    for ix in sim.dataset.client_indices:
        z = F.conv2d(sim.dataset.x[ix], w_conv1, padding=1).transpose(0, 1).reshape(16, -1)
        mean = mean + len(ix) / total * (0.1 * z.mean(1))
        var = var + len(ix) / total * (0.9 + 0.1 * z.var(1, unbiased=True))
    assert torch.allclose(got["bn1.running_mean"], mean, rtol=1e-10, atol=1e-12)
    assert torch.allclose(got["bn1.running_var"], var, rtol=1e-10)
    # Evaluation: a fresh torch model holding final_params + final_buffers, in eval mode.
    model = MODELS.get("resnet20")(sim.dataset).double()
    state = {**named(sim, torch.from_numpy(result["final_params"]), sim.oracle.layout), **got}
    model.load_state_dict(state, strict=False)
    model.eval()
    with torch.no_grad():
        logits = model(sim.dataset.test_x)
    assert result["metrics"]["loss"][-1] == pytest.approx(
        float(F.cross_entropy(logits, sim.dataset.test_y)), rel=1e-10)
    assert result["metrics"]["top1_acc"][-1] == pytest.approx(
        float((logits.argmax(1) == sim.dataset.test_y).double().mean()))


def test_turning_off_batch_norm_keeps_the_initial_statistics(cifar, tmp_path):
    on = run(cifar_config(cifar), out=tmp_path / "a.bin")["final_buffers"]
    off = run(cifar_config(cifar, turn_off_batch_normalization_and_dropout=True),
              out=tmp_path / "b.bin")["final_buffers"]
    initial = build_simulation(cifar_config(cifar)).oracle.buffers0.numpy()
    assert np.array_equal(off, initial) and not np.allclose(on, initial)


def test_train_last_layer_trains_only_the_classifier(tmp_path):
    cfg = Config(model="small_cnn", train_last_layer=True, rounds=2, quiet=True)
    sim = build_simulation(cfg)
    assert sim.dim == 64 * 10 + 10  # the last Linear only
    result = run(cfg, out=tmp_path / "r.bin")
    assert result["final_params"].shape == (650,)
    assert not np.allclose(result["final_params"], sim.x0.numpy())
    torch.manual_seed(cfg.manual_init_seed)
    fresh = MODELS.get("small_cnn")(sim.dataset)
    frozen = [p for p in sim.oracle.module.parameters() if not p.requires_grad]
    assert len(frozen) == 6 and all(torch.equal(a, b) for a, b in
                                    zip(frozen, list(fresh.parameters())[:6]))


def test_pretrained_weights_from_the_local_hub_cache(cifar, tmp_path, monkeypatch):
    import torchvision
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cfg = cifar_config(cifar, model="tv_resnet18", use_pretrained=True, compute_type="fp32")
    with pytest.raises(ConfigError) as e:
        build_simulation(cfg)
    assert "resnet18-f37072fd.pth not found in" in str(e.value)
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in str(e.value)
    torch.manual_seed(99)
    imagenet = torchvision.models.resnet18(weights=None)  # 1000 classes, as the real file
    path = tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
    path.parent.mkdir(parents=True)
    torch.save(imagenet.state_dict(), path)
    module = build_simulation(cfg).oracle.module
    assert torch.equal(module.conv1.weight, imagenet.conv1.weight)
    assert torch.equal(module.layer4[1].bn2.running_var, imagenet.layer4[1].bn2.running_var)
    assert module.fc.weight.shape == (10, 512)  # a fresh head for the 10 classes
    with pytest.raises(ConfigError, match="--use-pretrained: model 'resnet20' has no"):
        build_simulation(cifar_config(cifar, use_pretrained=True))
