"""Worked example of docs/heterogeneity.md: compression loses on rounds, wins on simulated time.

FedAvg with the small CNN on digits (the README's default experiment, every client every round,
local lr 0.3), uncompressed and with rand-k 10% uplink compression, 3 seeds each: a sweep
(resumable; results in experiments/heterogeneity/results/). The system model then times every
round of every run from the bits it actually sent, for a federation drawn from
``lognormal:0.5`` (seed 123): each round lasts as long as its slowest client's download +
computation + upload. It prints the rounds and the simulated seconds each method needs to reach
90% test accuracy, the time per round with a deadline that drops the slowest 20% of clients,
and draws accuracy against rounds and against simulated time (mean +- std over seeds).

    python experiments/heterogeneity/compression_time.py [--small]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fl_pytorch import Config, load_result  # noqa: E402
from fl_pytorch.heterogeneity import (  # noqa: E402
    ClientWork,
    SystemModel,
    build_profile,
    deadline_for_fraction,
    training_flops,
)
from fl_pytorch.results.plot import new_figure, plot_runs, save_figure  # noqa: E402
from fl_pytorch.sweep import SweepPlan, make_spec  # noqa: E402
from fl_pytorch.sweep.runner import make_slots, run_plan  # noqa: E402
from fl_pytorch.sweep.slots import shared_process_switches  # noqa: E402

BASE = Config(dataset="digits", model="small_cnn", loss="crossentropy", metric="top1_acc",
              client_sampling_type="full", local_lr=0.3, rounds=40, eval_every=1, quiet=True)
GRID = {"client_compressor": ["ident", "randk:10%"]}
PROFILE, PROFILE_SEED, TARGET = "lognormal:0.5", 123, 0.9


def round_work(result: dict) -> dict[int, ClientWork]:
    """Each client's work in one round (full participation: every round the same)."""
    clients, dim = result["clients"], len(result["final_params"])
    rounds = clients["rounds"]
    down = result["metrics"]["bits_down_round"][1] / result["metrics"]["clients_in_round"][1]
    return {i: ClientWork(1, training_flops(dim, clients["oracle_grad_samples"][i] / rounds[i]),
                          int(clients["bits_up"][i] // rounds[i]), int(down))
            for i in range(len(rounds))}


def simulated_times(result: dict, model: SystemModel) -> np.ndarray:
    """Cumulative simulated time at every row of ``result`` (row 0: 0)."""
    work = round_work(result)
    rows = len(result["metrics"]["round"])
    per_round = [model.round_timing(t, list(work), work).sim_time for t in range(rows - 1)]
    return np.concatenate([[0.0], np.cumsum(per_round)])


def first_reaching(result: dict, times: np.ndarray) -> tuple[float, float]:
    """(round, simulated seconds) at which top-1 accuracy first reaches TARGET (NaN: never)."""
    hit = np.flatnonzero(result["metrics"]["top1_acc"] >= TARGET)
    return (float(hit[0]), float(times[hit[0]])) if hit.size else (np.nan, np.nan)


def run_sweep(seeds: int, rounds: int, folder: Path) -> list[dict]:
    spec = make_spec("compression_time", BASE.replace(rounds=rounds), GRID, seeds, "example")
    plan = SweepPlan(spec, folder)
    with shared_process_switches(spec.grid, spec.base):
        run_plan(plan, make_slots("threads", 2, spec.base.gpu), print)
    return [load_result(p.path) for p in plan.runs]


def report(results: list[dict], model: SystemModel) -> None:
    print(f"federation: {PROFILE} (seed {PROFILE_SEED}), {model.profile.num_clients} clients; "
          f"target: top-1 accuracy {TARGET:.0%}")
    for compressor in GRID["client_compressor"]:
        runs = [r for r in results if r["config"]["client_compressor"] == compressor]
        times = [simulated_times(r, model) for r in runs]
        reach = np.array([first_reaching(r, t) for r, t in zip(runs, times)])
        work = round_work(runs[0])
        timing = model.round_timing(0, list(work), work)
        deadline = deadline_for_fraction(list(timing.client_time.values()), 0.2)
        late = SystemModel(model.profile, deadline=deadline).round_timing(0, list(work), work)
        print(f"{compressor:>10}: uplink {work[0].bits_up} bits per client and round; "
              f"{timing.sim_time:.3f} s per round (deadline {deadline:.3f} s dropping "
              f"{len(late.late)} slowest: {late.sim_time:.3f} s); to {TARGET:.0%}: "
              f"{np.mean(reach[:, 0]):.1f} +- {np.std(reach[:, 0]):.1f} rounds, "
              f"{np.mean(reach[:, 1]):.1f} +- {np.std(reach[:, 1]):.1f} simulated s")
        for r, t in zip(runs, times):  # so that plot_runs can use it as an axis
            r["metrics"]["sim_time_cum"] = t


def draw(results: list[dict], figure: str) -> Path:
    fig = new_figure(figsize=(12.0, 4.8))
    for i, x in enumerate(("rounds", "sim_time_cum")):
        plot_runs(results, x=x, y="top1_acc", ax=fig.add_subplot(1, 2, i + 1))
    fig.suptitle(f"FedAvg, small CNN on digits, 10 clients ({PROFILE} devices)")
    return save_figure(fig, figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1 seed, 3 rounds (a quick look)")
    parser.add_argument("--out-dir", default=str(ROOT / "experiments" / "heterogeneity" /
                                                 "results"))
    parser.add_argument("--figure", default=str(ROOT / "docs" / "images" /
                                                "heterogeneity_compression.png"))
    args = parser.parse_args(argv)
    seeds, rounds = (1, 3) if args.small else (3, BASE.rounds)
    results = run_sweep(seeds, rounds, Path(args.out_dir))
    model = SystemModel(build_profile(PROFILE, results[0]["problem"]["num_clients"],
                                      PROFILE_SEED))
    report(results, model)
    print(f"wrote {draw(results, args.figure)}")


if __name__ == "__main__":
    main()
