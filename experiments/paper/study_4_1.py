"""Paper section 4.1 (Figure 2): SCAFFOLD with rand-k 40% compression on the quadratic problem.

The paper's own command line, with the variants that explain its result (docs/algorithms.md,
"Compressed SCAFFOLD"): the original tool's SCAFFOLD (what the paper measured), the SCAFFOLD
paper's option II with both messages compressed (stalls), damped control variates and a
compressed model update only (both converge linearly), and uncompressed SCAFFOLD.

    python experiments/paper/study_4_1.py [--seeds 10] [--workers N]
"""

from __future__ import annotations

from study import Config, arguments, plot_study, run_study

SPEC = "clients:10,samples_per_client:100,variables:20,homogeneous:0,l:2,mu:1"


def curves() -> dict[str, Config]:
    """The paper's section 4.1 line, one config per SCAFFOLD variant."""
    base = Config(rounds=100, num_clients_per_round=10, global_lr=0.5, local_lr=1.0,
                  dataset="generated_for_quadratic_minimization", dataset_generation_spec=SPEC,
                  model="linear", loss="mse", metric="loss", algorithm="scaffold",
                  client_compressor="randk:40%", gpu="-1", eval_every=1,
                  number_of_local_iters=1, run_local_steps=True, compute_type="fp64")
    variants = {
        "original tool's SCAFFOLD (c_i never stored), rand-k 40% on dc":
            "variant:original_tool,compress:control",
        "SCAFFOLD option II, rand-k 40% on dy and dc": "variant:option2",
        "SCAFFOLD damped c_i (a = 1/(1+omega)), rand-k 40% on dy and dc": "variant:damped",
        "SCAFFOLD, rand-k 40% on dy only": "compress:model",
    }
    found = {label: base.replace(algorithm_options=f"internal_sgd:full-gradient,{options}")
             for label, options in variants.items()}
    found["SCAFFOLD, uncompressed"] = base.replace(client_compressor="ident",
                                                   algorithm_options="internal_sgd:full-gradient")
    return found


def main(argv: list[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0], "paper_4_1.png").parse_args(argv)
    paths = run_study("4_1", curves(), args.seeds, args.workers, args.out_dir, args.rounds)
    print(plot_study(paths, "dist_to_solution", args.figure,
                     "Section 4.1: SCAFFOLD with compression, quadratic d = 20, 10 clients"))


if __name__ == "__main__":
    main()
