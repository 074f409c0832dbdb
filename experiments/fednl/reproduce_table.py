"""uFedNL's single-node table, with this tool: FedNL on w8a and phishing with four compressors.

The experiment of uFedNL's ``fednl_single_node.sh`` (Burlachenko and Richtarik 2024): LIBSVM w8a
and phishing with an intercept, 142 clients (a seeded reshuffle, equal clients, the leftover
samples dropped), L2-regularized logistic regression (lambda = 1e-3), FedNL option 2, K = 8d for
Top-K, TopLEK, Rand-K and RandSeqK, the theoretical alpha (1 for Top-K and TopLEK, 1/(omega+1)
for the random ones), 1000 rounds, float64. For every (dataset, compressor): time per round,
final gradient norm, bits sent per client; the table goes to the terminal and to ``table.md``,
and per dataset a figure of the gradient norm against rounds and against bits
(``fednl_<dataset>.png``). With ``--ufednl PATH`` uFedNL runs each configuration too and its
time per round is added to the table.

    python experiments/fednl/reproduce_table.py --data-path DIR [--rounds 1000]
        [--out-dir results/fednl] [--ufednl PATH/bin_fednl_local] [--datasets w8a,phishing]
        [--compressors topk,toplek,randk,randseqk]

DIR holds the LIBSVM files ``w8a`` and ``phishing`` (each read alone, as uFedNL reads it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ufednl_run import run_ufednl  # noqa: E402

from fl_pytorch import Config, run  # noqa: E402
from fl_pytorch.results.plot import new_figure, save_figure  # noqa: E402

DATASETS = ("w8a", "phishing")
COMPRESSORS = ("topk", "toplek", "randk", "randseqk")
URL = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"


def fednl_config(data: Path, compressor: str, rounds: int, clients: int, threads: int) -> Config:
    """The uFedNL experiment for one compressor, as ``run.sh`` options."""
    return Config(algorithm="fednl", dataset="libsvm", data_path=str(data), offline=True,
                  model="logistic_regression", loss="logistic", global_regulizer="cvx_l2norm",
                  global_regulizer_alpha=1e-3, num_clients=clients, partition="equal",
                  client_sampling_type="full", compute_type="fp64", rounds=rounds,
                  eval_every=rounds, intra_op_threads=threads, metric="loss", quiet=True,
                  algorithm_options=f"compressor:{compressor}:8d,option:2,alpha:theory")


def alone(path: Path) -> Path:
    """The file in a folder of its own (a ``.t`` test file next to it is not read)."""
    link = Path(tempfile.mkdtemp()) / path.name
    link.symlink_to(path.resolve())
    return link


def run_dataset(name: str, args: argparse.Namespace) -> list[dict]:
    """Every compressor on one dataset: table rows, result files and the figure."""
    data, rows, results = alone(Path(args.data_path) / name), [], []
    for comp in args.compressors.split(","):
        out = Path(args.out_dir) / f"fednl_{name}_{comp}.bin"
        result = run(fednl_config(data, comp, args.rounds, args.clients, args.threads), out=out)
        if result["status"] != "finished":
            raise SystemExit(f"error: {name} {comp}: {result['status']}: {result['error']}")
        m = result["metrics"]
        row = {"dataset": name, "compressor": f"{comp}:8d", "d": result["problem"]["dimension"],
               "ms": (m["wall_time"][-1] - m["wall_time"][1]) / max(1, args.rounds - 1) * 1e3,
               "grad": float(m["grad_norm"][-1]),
               "mbits": float(m["bits_up_cum"][-1]) / args.clients / 1e6}
        if args.ufednl:
            row["ufednl_ms"] = run_ufednl(args.ufednl, data, args.rounds, args.clients, comp,
                                          args.ufednl_workers)["ms"]
        rows.append(row)
        results.append(result)
    plot(results, [r["compressor"] for r in rows],
         f"FedNL on {name} (d = {rows[0]['d']}, {args.clients} clients)",
         Path(args.out_dir) / f"fednl_{name}.png")
    return rows


def plot(results: list[dict], labels: list[str], title: str, path: Path) -> None:
    """||grad f(x^k)|| against k and against the bits sent per client before round k.

    Row k+1 of a result holds ``grad_norm`` of round k, at the model x^k the round started
    from, and ``bits_up_cum`` after round k: x^k is paired with the bits of rows 0..k.
    """
    figure = new_figure((12.0, 4.5))
    axes = [figure.add_subplot(1, 2, i + 1) for i in range(2)]
    for result, label in zip(results, labels):
        m = result["metrics"]
        grad, clients = m["grad_norm"][1:], m["clients_in_round"][1:].max()
        axes[0].semilogy(m["round"][:-1], grad, label=label)
        axes[1].semilogy(m["bits_up_cum"][:-1] / clients, grad, label=label)
    axes[1].ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    for ax, xlabel in zip(axes, ("round k", "bits sent per client before round k")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("||grad f(x^k)||")
        ax.grid(True, alpha=0.3)
        ax.legend()
    figure.suptitle(title)
    save_figure(figure, path)


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    extra = "ufednl_ms" in rows[0]
    head = "| dataset | d | compressor | ms/round | " + ("uFedNL ms/round | " if extra else "") \
        + "last ‖∇f‖ | Mbit per client |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(f"| {r['dataset']} | {r['d']} | {r['compressor']} | {r['ms']:.1f} | "
                     + (f"{r['ufednl_ms']:.1f} | " if extra else "")
                     + f"{r['grad']:.2e} | {r['mbits']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-path", required=True, help="folder of the LIBSVM files")
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=142)
    parser.add_argument("--threads", type=int, default=1, help="--intra-op-threads")
    parser.add_argument("--out-dir", default="results/fednl")
    parser.add_argument("--ufednl", type=Path, help="uFedNL's bin_fednl_local, to time as well")
    parser.add_argument("--ufednl-workers", default="12,4,4")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated subset")
    parser.add_argument("--compressors", default=",".join(COMPRESSORS),
                        help="comma-separated subset")
    args = parser.parse_args(argv)
    names = [n for n in args.datasets.split(",") if n]
    bad = [n for n in names if n not in DATASETS] + [
        c for c in args.compressors.split(",") if c not in COMPRESSORS]
    if bad:
        raise SystemExit(f"error: unknown {', '.join(bad)}; datasets: {', '.join(DATASETS)}, "
                         f"compressors: {', '.join(COMPRESSORS)}")
    missing = [n for n in names if not (Path(args.data_path) / n).is_file()]
    if missing:
        raise SystemExit(f"error: --data-path: {', '.join(missing)} not found in "
                         f"{args.data_path}; get {', '.join(URL + n for n in missing)} (or "
                         "dopt/datasets/ of github.com/burlachenkok/ufednl) into that folder")
    Path(args.out_dir).mkdir(parents=True, exist_ok=True)
    rows = [row for name in names for row in run_dataset(name, args)]
    text = table(rows)
    (Path(args.out_dir) / "table.md").write_text(text + "\n")
    print(text)
    return rows


if __name__ == "__main__":
    main()
