"""The vectorized executor's seams: which runs it serves, refusals, auto's rule, hooks run per
client inside a batch, the torch.func oracle, and checkpoints of its client states."""

import dataclasses

import numpy as np
import pytest

from fl_pytorch import Config, ConfigError, run
from fl_pytorch.cli import main as cli_main
from fl_pytorch.core.algorithm import optimizer_step, send_model_delta
from fl_pytorch.engine.engine import Engine
from fl_pytorch.engine.executors import build_executor
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.execution.spec import ExecutorSpec
from fl_pytorch.vectorized import VectorizedExecutor

QUAD = dict(dataset="generated_for_quadratic_minimization", model="linear", loss="mse",
            compute_type="fp64", metric="loss", quiet=True, run_local_steps=True,
            num_clients_per_round=3,
            dataset_generation_spec="clients:8,samples_per_client:6,variables:4")
DIGITS = dict(dataset="digits", num_clients=12, num_clients_per_round=4, batch_size=8,
              algorithm_options="internal_sgd:sgd", number_of_local_iters=1, local_lr=0.05,
              metric="loss", quiet=True, rounds=2)


def test_gradskip_asked_vectorized_is_refused_naming_its_hook(capsys, tmp_path):
    with pytest.raises(ConfigError, match=r"--threadpool-for-local-opt: invalid value "
                       r"'vectorized': --algorithm gradskip: its LOCAL_GRADIENT hook "
                       r"skipping_shifted_gradient is not batchable"):
        build_simulation(Config(**QUAD, algorithm="gradskip", client_sampling_type="full",
                                threadpool_for_local_opt="vectorized"))
    capsys.readouterr()  # the warnings of that set-up (its --num-clients-per-round is unused)
    code = cli_main(["--dataset", "generated_for_quadratic_minimization", "--model", "linear",
                     "--loss", "mse", "--algorithm", "gradskip", "--client-sampling-type",
                     "full", "--threadpool-for-local-opt", "vectorized", "--rounds", "1",
                     "--quiet", "--out", str(tmp_path / "r.bin")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "\n" not in err, err
    assert "skipping_shifted_gradient" in err


def test_batch_norm_in_training_mode_is_refused_naming_the_layer():
    with pytest.raises(ConfigError, match=r"--model resnet20: layer .*\(BatchNorm2d\): "
                       r"batch-norm statistics are updated client by client"):
        build_simulation(Config(**DIGITS, model="resnet20", threadpool_for_local_opt="vectorized"))


def test_several_devices_are_refused():
    with pytest.raises(ConfigError, match="--gpu lists 2 devices"):
        build_simulation(Config(**QUAD, gpu="-1,-1", threadpool_for_local_opt="vectorized"))


@pytest.mark.parametrize("options,vectorized", [
    (dict(QUAD, algorithm="scaffold"), True),  # closed-form oracle
    (dict(DIGITS, model="mlp"), False),  # torch.func: only when asked for
    (dict(DIGITS, model="small_cnn"), False),
    (dict(QUAD, algorithm="gradskip", client_sampling_type="full"), False),  # its hook
])
def test_auto_takes_the_vectorized_executor_by_rule(options, vectorized):
    sim = build_simulation(Config(**options))
    assert sim.executor_spec == ExecutorSpec("auto")
    assert isinstance(build_executor(sim), VectorizedExecutor) == vectorized


def _run_with(sim, algorithm, executor: str) -> dict:
    sim = dataclasses.replace(sim, algorithm=algorithm, executor_spec=ExecutorSpec(executor))
    return Engine(sim).run()


def test_hooks_without_the_mark_run_per_client_inside_the_batch():
    """FedAvg with unmarked copies of CLIENT_OPT (momentum: per-client optimizers) and of
    LOCAL_STATE (rand-k: the clients' streams continue in order)."""
    sim = build_simulation(Config(**QUAD, algorithm="fedavg", client_compressor="randk:2",
                                  number_of_local_iters=3,
                                  local_optimiser="sgd", local_momentum=0.9, rounds=3,
                                  algorithm_options="internal_sgd:sgd-nice,tau:2"))
    unmarked = dataclasses.replace(
        sim.algorithm, client_opt=lambda ctx, y, g, k: optimizer_step(ctx, y, g, k),
        local_state=lambda ctx, x, y, work: send_model_delta(ctx, x, y, work))
    a, b = _run_with(sim, unmarked, "sequential"), _run_with(sim, unmarked, "vectorized")
    assert b["status"] == "finished", b["error"]
    assert np.abs(a["final_params"] - b["final_params"]).max() < 1e-12
    assert all(np.array_equal(a["clients"][k], b["clients"][k]) for k in a["clients"])


@pytest.mark.parametrize("compute_type,tol", [("fp64", 1e-12), ("fp32", 1e-5)])
def test_torch_func_oracle_equals_the_module_oracle(compute_type, tol, tmp_path):
    """An MLP: vmap over clients of grad of the functional module call."""
    runs = [run(Config(**DIGITS, model="mlp", compute_type=compute_type, algorithm="scaffold",
                       client_compressor="natural", threadpool_for_local_opt=ex),
                out=tmp_path / f"{ex}.bin") for ex in ("0", "vectorized")]
    assert "torch.func" in runs[1]["environment"]["executor"]
    a, b = runs[0]["final_params"], runs[1]["final_params"]
    assert np.abs(a - b).max() <= tol * max(1.0, np.abs(a).max())
    assert np.abs(a - runs[0]["metrics"]["loss"][0]).max() > 0  # it trained: not a trivial pass


def test_batch_norm_in_eval_mode_is_vectorized(tmp_path):
    options = dict(DIGITS, model="resnet20", turn_off_batch_normalization_and_dropout=True,
                   compute_type="fp64", rounds=1, num_clients_per_round=2)
    runs = [run(Config(**options, threadpool_for_local_opt=ex), out=tmp_path / f"{ex}.bin")
            for ex in ("0", "vectorized")]
    assert runs[1]["status"] == "finished", runs[1]["error"]
    assert np.abs(runs[0]["final_params"] - runs[1]["final_params"]).max() < 1e-12
    assert np.abs(runs[0]["final_buffers"] - runs[1]["final_buffers"]).max() < 1e-12


def test_resume_of_a_vectorized_run_equals_the_straight_run(tmp_path):
    options = dict(QUAD, algorithm="diana", client_sampling_type="full", rounds=6,
                   client_compressor="randk:1", threadpool_for_local_opt="vectorized")
    straight = run(Config(**options), out=tmp_path / "straight.bin")
    half = run(Config(**{**options, "rounds": 3}, checkpoint_every=3,
                      checkpoint_dir=str(tmp_path)), out=tmp_path / "half.bin")
    assert half["status"] == "finished"
    rest = run(Config(**options, resume_from=str(tmp_path / "half.ckpt")),
               out=tmp_path / "rest.bin")
    assert rest["final_params"].tobytes() == straight["final_params"].tobytes()
    for key, values in straight["clients"].items():
        assert np.array_equal(rest["clients"][key], values)
