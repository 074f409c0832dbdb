"""Remote workers on one machine: time and bytes per round, one local process vs master + workers.

Two worker processes (``run.sh worker``) are started on 127.0.0.1 and the same experiment runs
locally (sequentially, and with 2 local-training threads) and on the workers (per-client
messages, then summed messages). Per round it prints the median round time and, for the remote
runs, what the protocol cost the master: bytes sent and received (control frames and tensors)
and the overhead in ms (the master's time from sending the plan to the last result decoded,
minus the slowest worker's client computation), to compare with the model size x clients. It
also checks that the per-client remote run is bit-identical to the local one.

1. Small CNN FedAvg on ``digits`` (40 clients, 20 per round, 5 local steps, batch 16).
2. ResNet-18 (11.2M parameters) on ``digits``, 10 clients per round, 5 local steps
   (``--resnet-steps``): the largest model the target names. From its measured time per local
   step it also prints from how many local steps on the overhead stays below 10% of a round.

On a 2-core machine master and workers share the cores with each other (and with anything else
running), so timings are noisy; remote rounds may still beat one sequential process, since the
two workers compute in parallel. The overhead and byte figures are the point.

    python experiments/bench/bench_remote.py [--rounds 8] [--resnet-rounds 4] [--resnet-steps 5]
                                             [--skip-resnet]
"""

from __future__ import annotations

import argparse
import os
import secrets
import select
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fl_pytorch import Config, prepare  # noqa: E402

CNN = dict(dataset="digits", model="small_cnn", loss="crossentropy", metric="loss",
           algorithm="fedavg", num_clients=40, client_sampling_type="uniform",
           num_clients_per_round=20, algorithm_options="internal_sgd:sgd", batch_size=16,
           number_of_local_iters=5, run_local_steps=True, local_lr=0.05, quiet=True)
RESNET = dict(CNN, model="resnet18", num_clients=10, num_clients_per_round=10)


def start_workers(count: int, secret_file: Path) -> list[tuple[subprocess.Popen, int]]:
    """``count`` workers on free ports of 127.0.0.1, ready to serve."""
    procs = [subprocess.Popen([sys.executable, "-m", "fl_pytorch", "worker", "--port", "0",
                               "--secret-file", str(secret_file), "--loglevel", "WARNING"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
             for _ in range(count)]
    workers = []
    for proc in procs:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        line = proc.stdout.readline() if ready else ""
        if "listening on 127.0.0.1:" not in line:
            raise RuntimeError(f"a worker did not start: {line!r}")
        workers.append((proc, int(line.split("127.0.0.1:")[1].split(";")[0])))
    return workers


def measure(config: Config, out: Path) -> dict:
    """Run ``config``; median round time (rounds 2..R-1: no warm-up, no final evaluation)."""
    handle = prepare(config, out=out)
    result = handle.run()
    if result["status"] != "finished":
        raise RuntimeError(result["error"])
    wall = result["metrics"]["wall_time"]
    costs = getattr(handle.engine.executor, "costs", [])[1:]  # round 1 warms up
    row = {"round_ms": 1e3 * statistics.median(np.diff(wall)[1:-1]), "result": result,
           "dim": result["final_params"].size}
    if costs:
        row.update(overhead_ms=1e3 * statistics.median(c.overhead for c in costs),
                   compute_ms=1e3 * statistics.median(c.compute for c in costs),
                   mbytes=statistics.median(c.bytes for c in costs) / 1e6)
    return row


def same_bits(a: dict, b: dict) -> bool:
    def key(r):
        return ({m: v.tobytes() for m, v in r["metrics"].items() if m != "wall_time"},
                r["final_params"].tobytes())
    return key(a) == key(b)


def report(title: str, base: dict, runs: dict[str, dict], clients: int, workers: int) -> None:
    dim = base["dim"]
    model_mb = 4 * dim / 1e6
    print(f"\n{title}: {dim:,} parameters = {model_mb:.3g} MB (fp32); {clients} clients per "
          f"round, {workers} workers; model x clients = {model_mb * clients:.4g} MB")
    print(f"{'run':34} {'round ms':>9} {'overhead ms':>12} {'% of round':>10} "
          f"{'MB/round':>9} {'/ (model x clients)':>20}")
    for name, r in runs.items():
        if "mbytes" in r:
            print(f"{name:34} {r['round_ms']:9.1f} {r['overhead_ms']:12.1f} "
                  f"{100 * r['overhead_ms'] / r['round_ms']:10.1f} {r['mbytes']:9.3g} "
                  f"{r['mbytes'] / (model_mb * clients):20.3f}")
        else:
            print(f"{name:34} {r['round_ms']:9.1f} {'-':>12} {'-':>10} {'-':>9} {'-':>20}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--resnet-rounds", type=int, default=4)
    parser.add_argument("--resnet-steps", type=int, default=5)
    parser.add_argument("--skip-resnet", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        secret = folder / "secret.txt"
        secret.write_text(secrets.token_hex(32) + "\n")
        workers = start_workers(2, secret)
        try:
            remote = dict(external_devices=",".join(f"127.0.0.1:{p}:cpu" for _, p in workers),
                          remote_secret_file=str(secret), remote_timeout=600.0)
            cnn = Config(**CNN, rounds=args.rounds, eval_every=args.rounds)
            runs = {"local, sequential": measure(cnn.replace(threadpool_for_local_opt="0"),
                                                 folder / "a.bin"),
                    "local, 2 threads": measure(cnn.replace(threadpool_for_local_opt="2"),
                                                folder / "b.bin"),
                    "master + 2 workers, per-client": measure(
                        cnn.replace(**remote, threadpool_for_local_opt="0"), folder / "c.bin"),
                    "master + 2 workers, summed": measure(
                        cnn.replace(**remote, threadpool_for_local_opt="0",
                                    remote_messages="summed"), folder / "d.bin")}
            base = runs["local, sequential"]
            report("small_cnn FedAvg", base, runs, CNN["num_clients_per_round"], 2)
            print("per-client remote run bit-identical to the local run:",
                  same_bits(runs["master + 2 workers, per-client"]["result"], base["result"]))
            if not args.skip_resnet:
                resnet = Config(**{**RESNET, "number_of_local_iters": args.resnet_steps},
                                rounds=args.resnet_rounds, eval_every=args.resnet_rounds,
                                threadpool_for_local_opt="0")
                runs = {"local, sequential": measure(resnet, folder / "e.bin"),
                        "master + 2 workers, per-client": measure(resnet.replace(**remote),
                                                                  folder / "f.bin"),
                        "master + 2 workers, summed": measure(
                            resnet.replace(**remote, remote_messages="summed"),
                            folder / "g.bin")}
                report(f"resnet18 FedAvg, {args.resnet_steps} local steps", runs["local, "
                       "sequential"], runs, RESNET["num_clients_per_round"], 2)
                # overhead < 10% of a round <=> the workers' computation > 9 x overhead
                clients = RESNET["num_clients_per_round"]
                step_ms = runs["local, sequential"]["round_ms"] / clients / args.resnet_steps
                overhead = runs["master + 2 workers, per-client"]["overhead_ms"]
                steps = 9 * overhead / (clients / 2 * step_ms)
                print(f"one local step of one client takes ~{step_ms:.0f} ms here, so with 2 "
                      f"workers on their own cores the per-client protocol overhead is below "
                      f"10% of a round from {steps:.2f} local steps per client on")
        finally:
            for proc, _ in workers:
                proc.terminate()
                proc.wait(30)
                proc.stdout.close()


if __name__ == "__main__":
    main()
