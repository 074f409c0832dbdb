"""Worked example of docs/heterogeneity.md: compression loses on rounds, wins on simulated time.

FedAvg with the small CNN on digits (the README's default experiment, every client every round,
local lr 0.3) on a simulated federation (``--client-profile lognormal:0.5``, devices drawn from
``--manual-init-seed 123``), uncompressed and with rand-k 10% uplink compression, 3 seeds each:
a sweep (resumable; results in experiments/heterogeneity/results/). The engine times every round
from the bits each client sent: a round lasts as long as its slowest client's download +
computation + upload. A second sweep adds, for each compressor, a ``--round-deadline`` that drops
the slowest 20% of the clients. It prints the rounds and the simulated seconds each arm needs to
reach 90% test accuracy and draws accuracy against rounds and against simulated time (mean +-
std over seeds).

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
from fl_pytorch.results.plot import PlotStyle, new_figure, plot_runs, save_figure  # noqa: E402
from fl_pytorch.sweep import SweepPlan, make_spec  # noqa: E402
from fl_pytorch.sweep.runner import make_slots, run_plan  # noqa: E402
from fl_pytorch.sweep.slots import shared_process_switches  # noqa: E402

PROFILE, PROFILE_SEED, TARGET = "lognormal:0.5", 123, 0.9
BASE = Config(dataset="digits", model="small_cnn", loss="crossentropy", metric="top1_acc",
              client_sampling_type="full", local_lr=0.3, rounds=40, eval_every=1, quiet=True,
              client_profile=PROFILE, manual_init_seed=PROFILE_SEED)
COMPRESSORS = ["ident", "randk:10%"]
LATE_FRACTION = 0.2


def round_work(result: dict) -> dict[int, ClientWork]:
    """Each client's work in one round (full participation: every round the same)."""
    clients, dim = result["clients"], len(result["final_params"])
    rounds = clients["rounds"]
    down = result["metrics"]["bits_down_round"][1] / result["metrics"]["clients_in_round"][1]
    return {i: ClientWork(1, training_flops(dim, clients["oracle_grad_samples"][i] / rounds[i]),
                          int(clients["bits_up"][i] // rounds[i]), int(down))
            for i in range(len(rounds))}


def simulated_times(result: dict, model: SystemModel) -> np.ndarray:
    """Cumulative simulated time at every row of ``result``, recomputed from its bits alone."""
    work = round_work(result)
    rows = len(result["metrics"]["round"])
    per_round = [model.round_timing(t, list(work), work).sim_time for t in range(rows - 1)]
    return np.concatenate([[0.0], np.cumsum(per_round)])


def late_deadline(result: dict, model: SystemModel) -> float:
    """The deadline that the slowest LATE_FRACTION of the clients of ``result`` miss."""
    work = round_work(result)
    times = model.round_timing(0, list(work), work).client_time
    return deadline_for_fraction(list(times.values()), LATE_FRACTION)


def first_reaching(result: dict) -> tuple[float, float]:
    """(round, simulated seconds) at which top-1 accuracy first reaches TARGET (NaN: never)."""
    m = result["metrics"]
    hit = np.flatnonzero(m["top1_acc"] >= TARGET)
    return (float(hit[0]), float(m["sim_time_cum"][hit[0]])) if hit.size else (np.nan, np.nan)


def run_sweep(name: str, grid: dict, seeds: int, rounds: int, folder: Path) -> list[dict]:
    """The runs of ``grid`` x ``seeds`` (a resumable sweep in ``folder``)."""
    spec = make_spec(name, BASE.replace(rounds=rounds), grid, seeds, "example")
    plan = SweepPlan(spec, folder)
    with shared_process_switches(spec.grid, spec.base):
        run_plan(plan, make_slots("threads", 2, spec.base.gpu), print)
    return [load_result(p.path) for p in plan.runs]


def run_all(seeds: int, rounds: int, folder: Path) -> tuple[list[dict], list[dict]]:
    """(runs without a deadline, runs with each compressor's deadline)."""
    free = run_sweep("compression_time", {"client_compressor": COMPRESSORS}, seeds, rounds,
                     folder / "free")
    model = system_of(free[0])
    timed = []
    for compressor in COMPRESSORS:
        first = next(r for r in free if r["config"]["client_compressor"] == compressor)
        grid = {"client_compressor": [compressor],
                "round_deadline": [late_deadline(first, model)]}
        timed += run_sweep("deadline", grid, seeds, rounds,
                           folder / f"deadline_{compressor.replace(':', '_').rstrip('%')}")
    return free, timed


def system_of(result: dict) -> SystemModel:
    """The federation of ``result``, rebuilt from the profile and seed alone."""
    return SystemModel(build_profile(PROFILE, result["problem"]["num_clients"], PROFILE_SEED))


def report(results: list[dict]) -> None:
    print(f"federation: {PROFILE} (seed {PROFILE_SEED}), {results[0]['problem']['num_clients']} "
          f"clients; target: top-1 accuracy {TARGET:.0%}")
    arms: dict[tuple[str, float], list[dict]] = {}
    for r in results:
        arms.setdefault((r["config"]["client_compressor"], r["config"]["round_deadline"]),
                        []).append(r)
    for (compressor, deadline), runs in arms.items():
        reach = np.array([first_reaching(r) for r in runs])
        m, clients = runs[0]["metrics"], runs[0]["clients"]
        arm = f"deadline {deadline:.3f} s" if deadline else "no deadline"
        print(f"{compressor:>10}, {arm:>18}: uplink "
              f"{int(clients['bits_up'].sum() // clients['rounds'].sum())} bits "
              f"per client and round; {np.mean(m['sim_time'][1:]):.3f} s per round, "
              f"{np.mean(m['clients_late'][1:]):.1f} late; to {TARGET:.0%}: "
              f"{np.mean(reach[:, 0]):.1f} +- {np.std(reach[:, 0]):.1f} rounds, "
              f"{np.mean(reach[:, 1]):.1f} +- {np.std(reach[:, 1]):.1f} simulated s")


def draw(results: list[dict], figure: str) -> Path:
    fig = new_figure(figsize=(12.0, 4.8))
    style = PlotStyle(font_size=9.0, legend_position="lower right")
    for i, x in enumerate(("rounds", "simtime")):
        plot_runs(results, x=x, y="top1_acc", ax=fig.add_subplot(1, 2, i + 1), style=style,
                  legend_format="{client_compressor}, deadline {round_deadline:.3g} s")
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
    free, timed = run_all(seeds, rounds, Path(args.out_dir))
    report(free + timed)
    print(f"wrote {draw(free + timed, args.figure)}")


if __name__ == "__main__":
    main()
