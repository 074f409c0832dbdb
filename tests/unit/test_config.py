"""Config <-> command line <-> JSON round trips lose nothing; field errors name the option."""

import dataclasses
import shlex

from fl_pytorch import Config
from fl_pytorch.cli import parse_config
from fl_pytorch.cli_line import command_line

CHANGED = Config(rounds=7, client_sampling_type="poisson", client_sampling_poisson=0.3,
                 global_lr=0.25, global_optimiser="adam", algorithm="scaffold",
                 algorithm_options="internal_sgd:sgd-nice,tau:10%", client_compressor="randk:40%",
                 run_local_steps=True, number_of_local_iters=3, batch_size=4, local_lr=0.05,
                 local_lr_type="cosine", dataset_generation_spec="clients:5,variables:3",
                 compute_type="fp64", comment="a 'quoted' comment with spaces", quiet=True,
                 extra_track="full_gradient_norm_train", global_regulizer="cvx_l2norm",
                 global_regulizer_alpha=0.01, client_weights="data-size")


def test_argv_round_trip():
    assert parse_config(CHANGED.to_argv())[0] == CHANGED
    assert parse_config(Config().to_argv())[0] == Config()


def test_command_line_is_shell_exact():
    line = command_line(CHANGED)
    argv = shlex.split(line)
    assert argv[0] == "./run.sh"
    assert parse_config(argv[1:])[0] == CHANGED
    multi = command_line(CHANGED, multiline=True)
    assert parse_config(shlex.split(multi.replace("\\\n", " "))[1:])[0] == CHANGED


def test_json_round_trip_and_flags_override(tmp_path):
    path = tmp_path / "c.json"
    CHANGED.save_json(path)
    assert Config.load_json(path) == CHANGED
    cfg, _ = parse_config(["--config", str(path), "--rounds", "9"])
    assert cfg == dataclasses.replace(CHANGED, rounds=9)


def test_field_errors_for_the_gui():
    errors = Config(rounds=0, local_lr=-1.0, client_compressor="randk:x").field_errors()
    assert set(errors) == {"rounds", "local_lr", "client_compressor"}
    assert errors["local_lr"].startswith("--local-lr: invalid value -1.0")


def test_original_spellings_and_aliases():
    cfg, _ = parse_config(["-li", "4", "-b", "16", "--global-optimizer", "momentum",
                           "--global-regularizer", "cvx_l2norm"])
    assert (cfg.number_of_local_iters, cfg.batch_size, cfg.global_optimiser,
            cfg.global_regulizer) == (4, 16, "momentum", "cvx_l2norm")


def test_compressor_help_names_every_registered_compressor():
    from fl_pytorch.compressors import COMPRESSORS
    from fl_pytorch.config import OPTIONS
    text = OPTIONS["client_compressor"].metadata["help"]
    missing = [n for n in COMPRESSORS.names() if n not in text and n != "bernoulli"]
    assert not missing, missing
