"""The tiny valid run every fuzz case starts from (it would finish in a second if accepted)."""

from pathlib import Path

from fl_pytorch import Config

ROOT = Path(__file__).resolve().parents[2]
SPEC = "clients:4,samples_per_client:10,variables:3"
BASE = ["--dataset", "generated_for_quadratic_minimization", "--model", "linear", "--loss", "mse",
        "--metric", "loss", "--dataset-generation-spec", SPEC, "--num-clients-per-round", "2",
        "--rounds", "1", "--quiet", "--offline"]


def quadratic_config(**changes) -> Config:
    """The configuration of ``BASE`` (and ``changes``) as a Config."""
    return Config(**{**dict(dataset="generated_for_quadratic_minimization", model="linear",
                            loss="mse", metric="loss", dataset_generation_spec=SPEC,
                            num_clients_per_round=2, rounds=1, quiet=True, offline=True),
                     **changes})
