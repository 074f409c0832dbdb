"""Runs prepared in threads of one process (GUI runs, sweeps in threads) start from the same x0
as runs prepared alone, although model initialization draws from torch's global generator."""

import threading

import torch

import fl_pytorch.engine.simulation as simulation
from fl_pytorch import Config, prepare


def _x0(config: Config, tmp_path, name: str) -> torch.Tensor:
    return prepare(config, out=tmp_path / f"{name}.bin").sim.x0.clone()


def test_models_built_in_two_threads_at_once_get_their_own_seeds_initialization(
        tmp_path, monkeypatch):
    original = simulation.apply_model_options
    meet, together = threading.Barrier(2, timeout=2.0), threading.Event()

    def initialize_in_two_halves(model, config):
        """Draws from the global generator, lets the other thread in, and draws again."""
        model = original(model, config)
        try:
            if together.is_set():
                meet.wait()  # without serialized builds, the other thread reseeds meanwhile
        except threading.BrokenBarrierError:
            pass  # serialized: the other thread cannot be here now
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        return model
    monkeypatch.setattr(simulation, "apply_model_options", initialize_in_two_halves)
    configs = [Config(dataset="digits", model="small_cnn", manual_init_seed=s, quiet=True)
               for s in (1, 2)]
    alone = [_x0(config, tmp_path, f"alone{i}") for i, config in enumerate(configs)]
    together.set()
    built: dict[int, torch.Tensor] = {}
    threads = [threading.Thread(target=lambda i=i: built.update({i: _x0(configs[i], tmp_path,
                                                                         f"t{i}")}))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert torch.equal(built[0], alone[0]) and torch.equal(built[1], alone[1])
    assert not torch.equal(alone[0], alone[1])
