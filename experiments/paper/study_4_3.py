"""Paper section 4.3 (Figure 4): MARINA with client sampling, ResNet-18 on federated CIFAR-10.

100 clients, 25 sampled per round, 200 rounds, rand-k 5%: MARINA as the original tool runs it
under client sampling (only the round's clients, also on synchronization rounds), the paper's
PP-MARINA (every client on synchronization rounds) and DCGD (no variance reduction). On a GPU
when one is there (``--gpu 0``); CIFAR-10 under ``--data-path`` (downloaded when online).

``--small`` runs on a CPU in minutes instead: the CIFAR-10 loader reads a stand-in written in
CIFAR-10's on-disk layout from scikit-learn's digits (experiments/paper/fake_cifar.py), the model
is the CIFAR ResNet-20, 30 rounds, 3 seeds; the figure's title says so.

    python experiments/paper/study_4_3.py [--data-path data] [--gpu 0] [--seeds 10]
    python experiments/paper/study_4_3.py --small
"""

from __future__ import annotations

from fake_cifar import write_fake_cifar10
from study import ROOT, Config, arguments, plot_study, run_study


def curves(data_path: str, gpu: str, small: bool) -> dict[str, Config]:
    """MARINA (25 of 100, the original's rule), PP-MARINA and DCGD with rand-k 5%."""
    base = Config(dataset="cifar10_fl", data_path=data_path, num_clients=100,
                  client_sampling_type="uniform", num_clients_per_round=25,
                  model="resnet20" if small else "resnet18", rounds=30 if small else 200,
                  global_lr=0.1, local_lr=0.1, number_of_local_iters=1, run_local_steps=True,
                  batch_size=32, algorithm_options="internal_sgd:sgd", loss="crossentropy",
                  metric="top1_acc", client_compressor="randk:5%", gpu=gpu,
                  eval_every=5 if small else 10, offline=small)
    return {"MARINA, 25 of 100 clients (the original tool's rule)": base.replace(
                algorithm="marina"),
            "PP-MARINA, 25 of 100 clients, all on sync rounds": base.replace(
                algorithm="pp-marina"),
            "DCGD, 25 of 100 clients": base.replace(algorithm="dcgd")}


def main(argv: list[str] | None = None) -> None:
    parser = arguments(__doc__.splitlines()[0], "paper_4_3.png", **{
        "--small": dict(action="store_true", help="CPU mode: stand-in data, ResNet-20, 30 "
                        "rounds, 3 seeds (unless --seeds)"),
        "--data-path": dict(default="data", help="folder holding cifar-10-batches-py/"),
        "--gpu": dict(default="0", help="device ids as run.sh --gpu (-1 = CPU)")})
    args = parser.parse_args(argv)
    data, gpu, seeds = args.data_path, args.gpu, args.seeds
    if args.small:
        data = str(write_fake_cifar10(ROOT / "experiments" / "paper" / "results" / "fake_cifar"))
        gpu, seeds = "-1", 3 if seeds is None else seeds
    name = "4_3_small" if args.small else "4_3"
    paths = run_study(name, curves(data, gpu, args.small), seeds, args.workers,
                      args.out_dir, args.rounds)
    title = "Section 4.3: MARINA with client sampling, rand-k 5%, " + (
        "SMALL MODE: ResNet-20 on a digits stand-in for CIFAR-10 (not CIFAR-10), CPU"
        if args.small else "ResNet-18 on federated CIFAR-10")
    print(plot_study(paths, "top1_acc", args.figure, title, log_y=False))


if __name__ == "__main__":
    main()
