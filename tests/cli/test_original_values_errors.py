"""Values the original accepted that cannot work with the rest of the configuration: one clear
``error:`` line naming both options, exit 2, no result file. Also the original GUI's other values
(estimators, compressors, model and dataset names) against the parser."""

import re

import pytest

from fl_pytorch.cli import main, parse_config
from fl_pytorch.cli_line import command_line
from fl_pytorch.config import canonical, choices_of
from tests.cli.test_original_flags import BASE

CONFLICTS = [
    (["--metric", "top_1_acc"], ["--metric", "'top1_acc'", "--loss mse", "regression"]),
    (["--client-sampling-type", "poisson-no-empty", "--client-sampling-poisson", "0"],
     ["--client-sampling-poisson", "--client-sampling-type poisson-no-empty"]),
    (["--compute-type", "fp16", "--client-compressor", "rank_k:1"],
     ["--compute-type", "'fp16'", "--client-compressor 'rank_k:1'", "not implemented"]),
    (["--evaluate"], ["--evaluate", "--resume-from"]),
    (["--metric", "full_gradient_norm_train"], ["--metric", "--extra-track"]),
    (["--run-id", "{nosuch}"], ["--run-id", "{nosuch}", "simcounter"]),
    (["--algorithm-options", "internal_sgd:iterated-minibatch,reshuffle:sometimes"],
     ["--algorithm-options", "'sometimes'", "each_round"]),
]


@pytest.mark.parametrize("argv,needles", CONFLICTS, ids=[c[0][0] for c in CONFLICTS])
def test_conflict_is_one_line_naming_both_options(argv, needles, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*BASE, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert not (tmp_path / "run.bin").exists()


#: the 39 items of the original GUI's "Try SGD inside local optimization" combo box
GUI_ESTIMATORS = (
    ["full-gradient", "sgd-us, tau:1 local.samples",
     "sgd-nice, tau:2% local.samples (no repeat)"]
    + [f"sgd-nice, tau:{p}% local.samples" for p in range(10, 101, 10)]
    + ["sgd-multi, tau:2% local.samples (with repeat)"]
    + [f"sgd-multi, tau:{p}% local.samples" for p in range(10, 101, 10)]
    + [f"iterated-minibatch, reshuffle:{mode}, tau:{p}% local.samples"
       for mode in ("once_per_client", "each_round", "until_exhausted")
       for p in (1, 5, 10, 25, 50)])


def gui_algorithm_options(item: str) -> str:
    """The original GUI's transformation of a combo item into --algorithm-options."""
    text = re.sub(r"\([^)]*\)", "", item.lower()).strip()
    if " " in text:
        text = text[:text.rfind(" ")]
    return ",".join(a.strip() for a in f"internal_sgd:{text},".split(",") if a.strip())


@pytest.mark.parametrize("item", GUI_ESTIMATORS)
def test_every_gui_estimator_runs(item, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = gui_algorithm_options(item)
    assert main([*BASE, "--algorithm", "dcgd", "--algorithm-options", options]) == 0
    assert (tmp_path / "run.bin").exists()


@pytest.mark.parametrize("spec", ["ident:5%", "randk:5%", "bernulli:0.5", "natural:5%", "qsgd:4",
                                  "nat.dithering:4:2", "std.dithering:4:inf", "topk:5%",
                                  "rank_k:5%", "terngrad:5%", "randk:3", "std.dithering:2"])
def test_gui_compressor_values_run(spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*BASE, "--algorithm", "dcgd", "--client-compressor", spec]) == 0


GUI_MODELS = ["tv_resnet18", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
              "vgg11", "vgg13", "vgg16", "vgg19", "Wideresnet282", "Wideresnet284",
              "Wideresnet288", "dense", "linear", "logistic", "resnet20", "resnet1202", "rnn",
              "minirnn", "femnist", "minifemnist", "tv_resnet34", "tv_resnet50"]
ORIGINAL_DATASETS = ["cifar10", "cifar100", "emnist", "full_shakespeare", "cifar10_fl",
                     "cifar10_fl_by_class", "cifar100_fl", "shakespeare", "femnist",
                     "generated_for_quadratic_minimization", "mushrooms", "phishing",
                     *(f"{p}{i}a" for p in "aw" for i in range(1, 10))]


def test_original_model_and_dataset_names_are_choices():
    assert all(canonical("model", m) in choices_of("model") for m in GUI_MODELS)
    assert all(canonical("dataset", d.upper()) in choices_of("dataset")
               for d in ORIGINAL_DATASETS)


def test_gui_spellings_become_canonical_values():
    cfg, _ = parse_config(["--algorithm", "EF21-PP", "--loss", "LOGISTIC", "--metric",
                           "neg_perplexity", "--loglevel", "critical", "--compute-type", "bfp16",
                           "--initialize-shifts-policy", "FULL_GRADIENT_AT_START",
                           "--global-regulizer", "cvx_l2norm_square_div_2"])
    assert (cfg.algorithm, cfg.loss, cfg.metric, cfg.loglevel, cfg.compute_type,
            cfg.initialize_shifts_policy, cfg.global_regulizer) == (
        "ef21-pp", "logistic", "perplexity", "CRITICAL", "bf16", "full_gradient_at_start",
        "cvx_l2norm")


def test_show_command_line_of_gui_values_runs_unchanged(capsys):
    import shlex
    argv = ["--algorithm", "GRADSKIP", "--global-optimiser", "RMSPROP", "--metric", "top_1_acc",
            "--loglevel", "warn", "--client-compressor", "ident:5%", "--hostname", "h",
            "-n", "2", "--wandb-key", "k", "--logfilter", "end.*", "--compute-type", "bfp16",
            "--run-id", "{simcounter}_job", "--global-lr-type", "cifar_2"]
    assert main([*argv, "--show-command-line"]) == 0
    line = capsys.readouterr().out.strip()
    assert "{simcounter}" not in line and "--metric top1_acc" in line
    reparsed, _ = parse_config(shlex.split(line)[1:])
    assert command_line(reparsed) == line  # the printed line parses back to itself
    assert (reparsed.algorithm, reparsed.compute_type, reparsed.num_workers_train,
            reparsed.global_optimiser, reparsed.loglevel, reparsed.global_lr_type) == \
        ("gradskip", "bf16", 2, "rmsprop", "WARNING", "cifar_2")
    assert re.fullmatch(r"\d+_job", reparsed.run_id)
