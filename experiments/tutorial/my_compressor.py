"""Scaled sign as a user compressor: the worked example of TUTORIAL.md ("Add your own compressor").

Karimireddy et al., ICML 2019, "Error Feedback Fixes SignSGD and other Gradient Compression
Schemes", arXiv:1901.09847: ``C(x) = (||x||_1 / d) s(x)`` with ``s_i = +1`` if ``x_i >= 0`` else
``-1``. Since ``s_i x_i = |x_i|``, ``||C(x) - x||^2 = ||x||^2 - ||x||_1^2 / d <= (1 - 1/d) ||x||^2``
(``||x||_1 >= ||x||_2``): contractive with alpha = 1/d, deterministic. Bits = b + d: the scale
at full precision and one sign bit per coordinate.

Run it: ``PYTHONPATH=. python experiments/tutorial/my_compressor.py``.
"""

import torch

from fl_pytorch.extend import Compressed, Compressor, register_compressor, value_bits


class ScaledSign(Compressor):
    """The l1-scaled sign of x."""

    unbiased = False

    def compress(self, x, generator):
        signs = torch.where(x >= 0, 1.0, -1.0).to(x.dtype)
        return Compressed(x.abs().mean() * signs, value_bits(x) + x.numel())

    def alpha(self, d):
        return 1.0 / d


@register_compressor("scaled_sign", "scaled_sign")
def build(args):
    if args:
        raise ValueError("scaled_sign takes no arguments")
    return ScaledSign()


def main(rounds=300, out_dir="results"):
    """Non-IID quadratic: EF21 with scaled signs reaches the minimizer, DCGD with them stalls."""
    from fl_pytorch import Config, run
    spec = "clients:10,samples_per_client:50,variables:10,homogeneous:0,l:2,mu:1,noise:1.0"
    distances = {}
    for name in ("ef21", "dcgd"):
        config = Config(algorithm=name, client_compressor="scaled_sign", global_lr=0.1,
                        dataset="generated_for_quadratic_minimization",
                        dataset_generation_spec=spec, model="linear", loss="mse",
                        compute_type="fp64", client_sampling_type="full", rounds=rounds,
                        quiet=True, algorithm_options="internal_sgd:full-gradient")
        result = run(config, out=f"{out_dir}/tutorial_scaled_sign_{name}.bin")
        distances[name] = result["metrics"]["dist_to_solution"][-1]
        print(f"{name} + scaled_sign: distance to the minimizer after {rounds} rounds = "
              f"{distances[name]:.3g}, {result['metrics']['bits_up_cum'][-1]:.0f} bits sent")
    return distances


if __name__ == "__main__":
    main()
