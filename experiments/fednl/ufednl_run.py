"""Run uFedNL's single-node FedNL binary (``bin_fednl_local``) and read its report.

uFedNL (Burlachenko and Richtarik 2024, github.com/burlachenkok/ufednl) built in Release mode;
the arguments are those of its ``experiments/ufednl_single_node_simulation/fednl_single_node.sh``
(intercept, seeded reshuffle, lambda = 1e-3, option B, K = 8d, theoretical alpha).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

#: this tool's matrix compressor -> uFedNL's name and its alpha flags (option 2 of the theory)
COMPRESSORS = {"topk": ("topk", ["--use_theoretical_alpha_option_2"]),
               "toplek": ("toplek", ["--use_theoretical_alpha_option_2"]),
               "randk": ("randk", []), "randseqk": ("seqk", [])}


def run_ufednl(binary: Path, data: Path, rounds: int, clients: int, compressor: str = "topk",
               workers: str = "12,4,4") -> dict:
    """The average ms per round and the last gradient norm uFedNL reports for this run."""
    name, alpha = COMPRESSORS[compressor]
    w, grad_w, hess_w = workers.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        args = [str(binary), "--server_grad_workers", grad_w, "--server_hessian_workers", hess_w,
                "--workers", w, "--k_compressor_as_d_mult", "8", "--algorithm", "fednl1",
                "--train", "--train_dataset", str(data), "--add_intercept", "--reshuffle_train",
                "--clients", str(clients), "--lambda", "0.001", "--fednl-option-b", "--rounds",
                str(rounds), "--tracking", "--check_split", "--compressor", name,
                "--theoretical_alpha", *alpha, "--out", str(Path(tmp) / "ufednl.bin")]
        proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp)
    found = re.search(r"Average time per round: ([\d.eE+-]+) milli", proc.stdout)
    grad = re.search(r"Norm of full gradient in last iterate: ([\d.eE+-]+)", proc.stdout)
    if proc.returncode != 0 or not found:
        raise SystemExit(f"error: {binary} failed (exit {proc.returncode}): "
                         f"{(proc.stderr or proc.stdout)[-500:]}")
    return {"ms": float(found.group(1)), "grad": float(grad.group(1)) if grad else float("nan")}
