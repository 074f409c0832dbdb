"""The original tool's system flags: callback, notes on flags without effect, refusals.

Notes cover the flags that can have no effect in a given run (one warning line each, never
silently ignored).

``--hostname`` (recorded in the result's environment), ``--allow-use-nv-tensorcores`` (TF32 on
for the run, recorded) and ``--per-round-clean-torch-cache`` (``torch.cuda.empty_cache()`` after
every round) are a callback; the rest are notes or refusals checked when a run is prepared.
"""

from __future__ import annotations

from typing import Any

import torch

from ..core.callbacks import Callback, RunInfo

#: compressors that take no argument; the original GUI still appends its parameter field
NO_ARGUMENT = ("ident", "natural", "terngrad")


def _ignored_compressor_arguments(option: str, spec: str) -> list[str]:
    notes = []
    for stage in (s.strip() for s in spec.split("+")):
        name, _, arg = stage.partition(":")
        if name in NO_ARGUMENT and arg:
            notes.append(f"{option}: {stage!r}: {name} takes no argument, {arg!r} is ignored "
                         "(the original GUI appends its parameter field to every compressor)")
    return notes


def compat_notes(config: Any, devices: list[torch.device]) -> list[str]:
    """One line for each given option that can have no effect in this run, saying why."""
    cuda = any(d.type == "cuda" for d in devices)
    notes = [*_ignored_compressor_arguments("--client-compressor", config.client_compressor),
             *_ignored_compressor_arguments("--server-compressor", config.server_compressor)]
    if config.sort_dataset_by_class_before_split and config.dataset.startswith("generated_"):
        notes.append("--sort-dataset-by-class-before-split: no effect: the quadratic problem is "
                     "generated client by client, it is not split by class")
    if config.num_workers_train or config.num_workers_test:
        notes.append(f"-n/--num-workers-train {config.num_workers_train}, -nt/--num-workers-test "
                     f"{config.num_workers_test}: no effect: datasets are held in memory as "
                     "tensors, there are no data-loader processes")
    if config.do_not_save_eval_checkpoints:
        notes.append("--do-not-save-eval-checkpoints: no effect needed: this tool saves no model "
                     "file per evaluation (the result file holds the final model; "
                     "--checkpoint-every writes resume checkpoints)")
    if config.load_best:
        notes.append("--load-best: checkpoints hold one model, the last, which --resume-from uses"
                     if config.resume_from else
                     "--load-best: no effect without --resume-from (as in the original)")
    if config.per_round_clean_torch_cache and not cuda:
        notes.append("--per-round-clean-torch-cache: no effect: the run uses no CUDA device")
    if config.allow_use_nv_tensorcores and not cuda:
        notes.append("--allow-use-nv-tensorcores: no effect: TF32 tensor cores are a CUDA "
                     "feature and the run uses no CUDA device")
    if config.store_client_state_in_cpu and not cuda:
        notes.append("--store-client-state-in-cpu: no effect needed: the run computes on the "
                     "CPU, where the client states are kept anyway")
    return notes


class SystemOptions(Callback):
    """Applies --allow-use-nv-tensorcores and --per-round-clean-torch-cache around the run.

    Records them and --hostname in the result's environment.
    """

    def __init__(self, config: Any, devices: list[torch.device]):
        self.config = config
        self.cuda = any(d.type == "cuda" for d in devices)
        self._tf32: tuple[bool, bool] | None = None

    def on_run_begin(self, info: RunInfo) -> None:
        if self.config.allow_use_nv_tensorcores and self.cuda:
            self._tf32 = (torch.backends.cuda.matmul.allow_tf32,
                          torch.backends.cudnn.allow_tf32)
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True

    def after_round(self, info: RunInfo, row: dict[str, float]) -> None:
        if self.config.per_round_clean_torch_cache and self.cuda:
            torch.cuda.empty_cache()

    def on_run_end(self, info: RunInfo, result: dict[str, Any]) -> None:
        env = result["environment"]
        if self._tf32 is not None:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = self._tf32
        env["allow_tf32"] = self._tf32 is not None
        env["per_round_clean_torch_cache"] = bool(
            self.config.per_round_clean_torch_cache and self.cuda)
        if self.config.hostname:
            env["hostname"] = self.config.hostname
