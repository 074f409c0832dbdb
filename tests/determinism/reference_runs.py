"""Digests of small runs of every algorithm, to prove that refactoring changes no result bit.

``python -m tests.determinism.reference_runs`` writes ``reference_digests.json`` (done before a
refactor of the engine or the hook contract); ``test_reference_digests.py`` recomputes the digests
and compares. A digest is the SHA-256 of every metric array (wall time and GPU memory excluded),
the final parameters and buffers, and the per-client totals, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from fl_pytorch import Config, run
from fl_pytorch.registries import ALGORITHMS

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "reference_digests.json"
NOT_COMPUTED = {"wall_time", "gpu_memory_mb"}
COMPRESSOR = {"unbiased": "randk:2", "contractive": "topk:2", "any": "natural", "none": "ident"}


def configs() -> dict[str, Config]:
    """One quadratic (fp64) and one digits small-CNN (fp32) run per built-in algorithm."""
    found = {}
    for name in ALGORITHMS.names():
        alg = ALGORITHMS.get(name)
        if alg.paper.startswith("test"):
            continue
        steps = 2 if alg.local_steps and not alg.draws_round_length else 1
        sampling = dict(client_sampling_type="full") if alg.full_participation else dict(
            client_sampling_type="uniform", num_clients_per_round=3)
        common = dict(algorithm=name, rounds=3, number_of_local_iters=steps, run_local_steps=True,
                      global_lr=0.1, local_lr=0.05, client_compressor=COMPRESSOR[
                          alg.compressor_kind], threadpool_for_local_opt="0", quiet=True,
                      manual_runtime_seed=11, **sampling)
        found[f"quadratic-{name}"] = Config(
            dataset="generated_for_quadratic_minimization", model="linear", loss="mse",
            metric="loss", compute_type="fp64", algorithm_options="internal_sgd:sgd", batch_size=4,
            dataset_generation_spec="clients:4,samples_per_client:10,variables:5,homogeneous:0,"
                                    "l:2,mu:1", **common)
        found[f"digits-{name}"] = Config(
            dataset="digits", model="small_cnn", num_clients=4, batch_size=16, eval_every=3,
            algorithm_options="internal_sgd:sgd", **common)
    return found


def digest(result: dict) -> dict[str, str]:
    """SHA-256 per array of a result (metrics, parameters, buffers, per-client totals)."""
    arrays = {f"metrics.{k}": v for k, v in result["metrics"].items() if k not in NOT_COMPUTED}
    arrays.update({f"clients.{k}": v for k, v in result["clients"].items()})
    arrays["final_params"] = result["final_params"]
    if "final_buffers" in result:
        arrays["final_buffers"] = result["final_buffers"]
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()[:24]
            for k, v in sorted(arrays.items())}


def compute(folder: Path) -> dict[str, dict[str, str]]:
    out = {}
    for key, config in configs().items():
        result = run(config, out=folder / f"{key}.bin")
        if result["status"] != "finished":
            raise RuntimeError(f"{key}: {result['error']}")
        out[key] = digest(result)
    return out


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        DIGESTS.write_text(json.dumps(compute(Path(tmp)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}", file=sys.stderr)
