"""Paper section 4.2 (Figure 3): DIANA and MARINA with 1 and with 5 local steps.

Quadratic problem with L = 5, mu = 1 (10 clients, d = 20, non-IID), Bernoulli compressor
p = 0.8 (omega = 0.25: DIANA's shift rate and MARINA's synchronization probability are 0.8),
full gradients, every client in every round. Local steps follow the original tool's semantics
(docs/algorithms.md, "Local steps and client sampling").

    python experiments/paper/study_4_2.py [--seeds 10] [--workers N]
"""

from __future__ import annotations

from study import Config, arguments, plot_study, run_study

SPEC = "clients:10,samples_per_client:100,variables:20,homogeneous:0,l:5,mu:1"
GLOBAL_LR, LOCAL_LR = 0.1, 0.1


def curves() -> dict[str, Config]:
    """DIANA and MARINA, -li 1 and -li 5."""
    base = Config(rounds=100, client_sampling_type="full", global_lr=GLOBAL_LR,
                  local_lr=LOCAL_LR, dataset="generated_for_quadratic_minimization",
                  dataset_generation_spec=SPEC, model="linear", loss="mse", metric="loss",
                  client_compressor="bernulli:0.8", algorithm_options="internal_sgd:full-gradient",
                  run_local_steps=True, eval_every=1, gpu="-1", compute_type="fp64")
    return {f"{name.upper()}, {steps} local step{'s' * (steps > 1)}":
            base.replace(algorithm=name, number_of_local_iters=steps)
            for name in ("diana", "marina") for steps in (1, 5)}


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0], "paper_4_2.png").parse_args(argv)
    paths = run_study("4_2", curves(), args.seeds, args.workers, args.out_dir, args.rounds)
    print(plot_study(paths, "dist_to_solution", args.figure,
                     f"Section 4.2: local steps in DIANA and MARINA, bernulli:0.8, quadratic "
                     f"L = 5, mu = 1 (global lr {GLOBAL_LR}, local lr {LOCAL_LR})"))


if __name__ == "__main__":
    main()
