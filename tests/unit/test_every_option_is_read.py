"""No option is ignored silently: every option given a value is read by the code that runs.

Dynamic check: for each option, a tiny run through the command line (``fl_pytorch.cli.main``) with
a non-default value, in a configuration where the option applies, records which options the run
reads from its Config (reads by the generic code that validates, copies, prints or stores every
option do not count). Static check: every option is read as an attribute somewhere in
``fl_pytorch/`` outside that generic code (this also covers the options whose dynamic run needs
remote workers, a network or pretrained weights). Where an option does not apply, a warning line
says so (``tests/unit/test_option_use.py``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from fl_pytorch import load_result
from fl_pytorch.cli import main
from fl_pytorch.config import OPTIONS, Config, primary_flag

ROOT = Path(__file__).resolve().parents[2]
#: modules that read every option generically (validation, copies, command lines, warnings)
GENERIC = ("fl_pytorch.config", "fl_pytorch.config_fields", "fl_pytorch.config_checks",
           "fl_pytorch.validation", "fl_pytorch.engine.option_use", "fl_pytorch.cli_line",
           "dataclasses", "copy")
BASE = ["--dataset", "generated_for_quadratic_minimization", "--dataset-generation-spec",
        "clients:3,samples_per_client:8,variables:4,homogeneous:0,l:2,mu:1", "--model", "linear",
        "--loss", "mse", "--metric", "loss", "--compute-type", "fp64", "--rounds", "1",
        "--client-sampling-type", "full", "--algorithm-options", "internal_sgd:full-gradient",
        "--quiet"]
DIGITS = ["--dataset", "digits", "--model", "linear", "--loss", "crossentropy"]
#: option -> extra argv making it apply (its value included); default: a generated value
CONTEXT = {
    "client_sampling_poisson": ["--client-sampling-type", "poisson",
                                "--client-sampling-poisson", "0.7"],
    "num_clients_per_round": ["--client-sampling-type", "uniform",
                              "--num-clients-per-round", "2"],
    "initialize_shifts_policy": ["--algorithm", "diana", "--initialize-shifts-policy",
                                 "full_gradient_at_start"],
    "batch_size": ["--algorithm-options", "internal_sgd:sgd", "-b", "3"],
    "global_regulizer_alpha": ["--global-regulizer", "cvx_l2norm",
                               "--global-regulizer-alpha", "0.1"],
    "num_clients": [*DIGITS, "--num-clients", "5"],
    "partition": [*DIGITS, "--partition", "dirichlet:0.5"],
    "sort_dataset_by_class_before_split": [*DIGITS, "--sort-dataset-by-class-before-split"],
    "data_path": ["--dataset", "a1a", "--data-path", "{data}", "--model", "logistic_regression",
                  "--loss", "logistic", "--offline"],
    "no_intercept": ["--dataset", "a1a", "--data-path", "{data}", "--model",
                     "logistic_regression", "--loss", "logistic", "--no-intercept"],
    "offline": ["--dataset", "a1a", "--data-path", "{data}", "--model", "logistic_regression",
                "--loss", "logistic", "--offline"],
    "resume_from": ["--resume-from", "{checkpoint}"],
    "evaluate": ["--resume-from", "{checkpoint}", "--evaluate"],
    "gpu": ["--gpu=-1,-1"],
    "plugins": ["--plugins", "json"],  # any importable module
    "algorithm_options": ["--algorithm-options", "internal_sgd:full-gradient,x0_norm:2"],
    "client_compressor": ["--client-compressor", "randk:2"],
    "server_compressor": ["--server-compressor", "randk:2"],
    "dataset_generation_spec": ["--dataset-generation-spec",
                                "clients:2,samples_per_client:6,variables:3,l:3,mu:1"],
    "threadpool_for_local_opt": ["--threadpool-for-local-opt", "2"],
    "extra_track": ["--extra-track", "full_gradient_norm_train"],
    "logfile": ["--logfile", "{tmp}/log.txt"],
    "out": ["--out", "{tmp}/elsewhere.bin"],
    "checkpoint_dir": ["--checkpoint-dir", "{tmp}/ckpt"],
    "metric": ["--metric", "dist_to_solution"],
    "compute_type": ["--compute-type", "fp32"],
    "algorithm": ["--algorithm", "diana", "--client-compressor", "randk:2"],
    "rounds": ["--rounds", "2"],
    "eval_every": ["--rounds", "2", "--eval-every", "2"],
    "client_profile": ["--client-profile", "lognormal:0.5"],
    "client_dropout": ["--client-dropout", "0.1"],
    "round_deadline": ["--round-deadline", "2.5"],
}
#: options that need a remote worker, W&B or pretrained weights: checked statically only
STATIC_ONLY = {"external_devices", "master_addr", "master_port", "remote_secret_file",
               "remote_timeout", "remote_messages", "use_pretrained", "wandb_key",
               "wandb_project_name"}
#: labels kept with the results (grouping, notes), read from the result file, not by the run
METADATA = {"group_name", "comment"}


def _generated(name: str) -> list[str]:
    f = OPTIONS[name]
    default = f.default
    flag = primary_flag(f)
    if isinstance(default, bool):
        return [flag]
    choices = f.metadata["choices"]
    if choices is not None:
        options = choices() if callable(choices) else choices
        return [flag, next(c for c in options if c != default and c != "auto")]
    if isinstance(default, int):
        return [flag, str(default + 2)]
    if isinstance(default, float):
        return [flag, str(default / 2 if default else 0.25)]
    return [flag, "label"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A LIBSVM a1a file and a checkpoint of the base run."""
    root = tmp_path_factory.mktemp("options")
    (root / "data").mkdir()
    rows = [f"{'+1' if i % 2 else '-1'} 1:1 {i % 4 + 3}:0.5" for i in range(40)]
    (root / "data" / "a1a").write_text("\n".join(rows) + "\n")
    (root / "data" / "a1a.t").write_text("\n".join(rows[:10]) + "\n")
    assert main([*BASE, "--checkpoint-every", "1", "--checkpoint-dir", str(root / "ck"),
                 "--out", str(root / "base.bin")]) == 0
    return {"data": str(root / "data"), "checkpoint": str(next((root / "ck").iterdir()))}


@pytest.fixture
def reads(monkeypatch):
    """The option names read from any Config while the test runs, by non-generic code."""
    seen: set[str] = set()
    plain = object.__getattribute__

    def tracking(self, name):
        if name in OPTIONS:
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if not caller.startswith(GENERIC):
                seen.add(name)
        return plain(self, name)
    monkeypatch.setattr(Config, "__getattribute__", tracking)
    return seen


@pytest.mark.parametrize("name", [n for n in OPTIONS if n not in STATIC_ONLY])
def test_a_given_option_is_read_by_the_run(name, files, reads, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [a.format(tmp=tmp_path, **files) for a in CONTEXT.get(name, _generated(name))]
    out = [] if "--out" in argv or name == "run_id" else ["--out", str(tmp_path / "r.bin")]
    base = [a for a in BASE if a != "--quiet"] if name == "loglevel" else BASE  # quiet: WARNING
    assert main([*base, *argv, *out]) == 0
    if name in METADATA:  # stored with the results; and proof that generic reads do not count
        result = load_result(tmp_path / "r.bin")
        assert result["config"][name] == "label" and name not in reads
        return
    assert name in reads, f"{primary_flag(OPTIONS[name])} was given but nothing read it"
    if name == "run_id":  # it names the result file when --out does not
        assert (tmp_path / "results" / "fedavg_label.bin").is_file()


def test_every_option_is_read_somewhere_outside_the_generic_code():
    read: set[str] = set()
    for path in (ROOT / "fl_pytorch").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module.startswith(GENERIC):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in OPTIONS:
                read.add(node.attr)
    missing = sorted(set(OPTIONS) - read - METADATA)
    assert not missing, f"options that no code reads: {missing}"
