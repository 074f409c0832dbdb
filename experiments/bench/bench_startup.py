"""Start-up: a one-round run on the quadratic problem against ``python -c "import torch"``.

Both are whole processes, timed in turn ``--repeats`` times in this one run (the machine's load
changes from second to second); the figures are the best and the median of each. Python's
bytecode cache is on, in a temporary folder (``PYTHONPYCACHEPREFIX``), as in a normal
installation; the run is also timed with ``PYTHONDONTWRITEBYTECODE=1`` (then every run first
compiles the simulator's modules; torch's are precompiled in site-packages).

    python experiments/bench/bench_startup.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ["--dataset", "generated_for_quadratic_minimization", "--model", "linear", "--loss",
       "mse", "--rounds", "1", "--quiet"]


def seconds(command: list[str], env: dict[str, str]) -> float:
    begin = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        run = [str(ROOT / "run.sh"), *RUN, "--out", str(Path(tmp) / "r.bin")]
        commands = {"import torch": ([sys.executable, "-c", "import torch"], env),
                    "run.sh --rounds 1": (run, env),
                    "same, no bytecode": (run, {**env, "PYTHONDONTWRITEBYTECODE": "1"})}
        for command, where in commands.values():  # warm-up: bytecode cache, disk cache
            seconds(command, where)
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.repeats):
            for name, (command, where) in commands.items():
                times[name].append(seconds(command, where))
    for name, values in times.items():
        print(f"{name:18s} best {min(values):.2f} s   median {statistics.median(values):.2f} s")
    base = times["import torch"]
    for name in ("run.sh --rounds 1", "same, no bytecode"):
        run = times[name]
        print(f"{name} / import torch: best {min(run) / min(base):.2f}, "
              f"median {statistics.median(run) / statistics.median(base):.2f} (target <= 1.1)")
    return times


if __name__ == "__main__":
    main()
