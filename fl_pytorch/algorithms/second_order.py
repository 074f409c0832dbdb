"""What the second-order family (FedNL, FedNL-PP, FedNL-LS, Newton) shares.

Options (``--algorithm-options``), their resolution at setup (the Hessian learning rate alpha
from the compressor's omega or delta), the setup check that the problem has an exact Hessian
oracle, and the server's Newton system. Learned Hessians are symmetric d x d matrices held as
their D = d(d+1)/2 upper-triangle entries (``compressors/matrix/packed.py``).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from ..compressors.matrix import MatrixCompressor, parse_matrix_compressor, unpack
from ..core.algorithm_options import AlgoOption, fraction
from ..core.theory import Setting
from ..errors import ConfigError

DEFAULT_COMPRESSOR = "topk:8d"


def _alpha(text: str) -> str | float:
    if text in ("theory", "sqrt"):
        return text
    try:
        return fraction("alpha")(text)
    except ValueError as e:
        raise ValueError(f"{e}, or theory (1/(omega+1) for unbiased compressors, 1 for "
                         "contractive ones), or sqrt (1 - sqrt(1 - delta))") from None


def _choice(name: str, valid: tuple[str, ...]):
    def parse(text: str) -> str:
        if text not in valid:
            raise ValueError(f"{name} must be one of {', '.join(valid)}")
        return text
    return parse


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise ValueError("mu must be >= 0")
    return value


COMPRESSOR_OPTION = AlgoOption(
    parse_matrix_compressor, parse_matrix_compressor(DEFAULT_COMPRESSOR),
    "matrix compressor of the Hessian differences: ident, natural, topk:K, toplek:K, randk:K, "
    "randseqk:K, rank:R (K a count, P% of the d(d+1)/2 upper-triangle entries, or Nd = N d)")
ALPHA_OPTION = AlgoOption(_alpha, "theory", "Hessian learning rate: theory (1/(omega+1) for "
                          "unbiased compressors, 1 for contractive ones), sqrt (1 - sqrt(1 - "
                          "delta)), or a number in (0, 1]")
INIT_OPTION = AlgoOption(_choice("init", ("hessian", "zero")), "hessian",
                         "learned Hessians at start: hessian (each client uploads its Hessian "
                         "at x0 in the first round, counted) or zero")
OPTION_OPTION = AlgoOption(_choice("option", ("1", "2")), "2",
                           "Newton system: 1 = projection of the learned Hessian onto "
                           "{M >= mu I}, 2 = learned Hessian + l I, l the mean Frobenius error")
MU_OPTION = AlgoOption(_non_negative, None, "mu of option 1 (default: the problem's strong "
                       "convexity, i.e. the l2 regularizer's alpha)")
#: per-round metrics of FedNL and FedNL-LS: sum w_i l_i (the learned Hessians' mean Frobenius
#: error before the round's update) and ||grad f|| at the round's model (the server has it)
METRICS = ("hessian_error", "grad_norm")


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Fill alpha and mu in, and fix the local oracle to exact gradients (setup, once)."""
    out = {**options, "internal_sgd": "full-gradient"}
    d, comp = setting.dim, options.get("compressor")
    if "alpha" in options:
        out["alpha"] = hessian_rate(options["alpha"], comp, d)
    if options.get("option") == "1" or "mu" in options:
        mu = options.get("mu")
        mu = float(setting.constants.get("mu", 0.0)) if mu is None else mu
        if options.get("option") == "1" and not mu > 0:
            raise ConfigError(
                "--algorithm-options: option 1 projects the learned Hessian onto {M >= mu I}, "
                f"which needs mu > 0, and here mu = {mu}; valid: an l2 regularizer "
                "(--global-regulizer cvx_l2norm --global-regulizer-alpha A), mu:VALUE, or "
                "option:2")
        out["mu"] = mu
    return out


def hessian_rate(choice: str | float, compressor: MatrixCompressor, d: int) -> float:
    """alpha: a number as given, or the FedNL paper's choice for the compressor."""
    if not isinstance(choice, str):
        return float(choice)
    if choice == "sqrt":
        return 1.0 - math.sqrt(1.0 - compressor.delta(d))
    return 1.0 / (compressor.omega(d) + 1.0) if compressor.unbiased else 1.0


def check_hessian_oracle(config: Any, oracle: Any, dataset: Any) -> None:
    """Refuse, in one line, a problem without an exact Hessian oracle (setup, once)."""
    name = config.algorithm
    need = (f"{name} needs a convex model with an exact Hessian oracle: --model "
            "logistic_regression (or linear) with --loss logistic on a binary dataset, or --model "
            "linear with --loss mse, and --global-regulizer none or cvx_l2norm")
    if getattr(oracle, "hessian", None) is None:
        layers = [type(m) for m in oracle.module.modules() if not isinstance(m, nn.Sequential)]
        if layers == [nn.Flatten, nn.Linear]:
            raise ConfigError(f"--loss: {config.loss!r} has no Hessian oracle; {need}")
        raise ConfigError(f"--model: {config.model!r} is not a convex model with a Hessian "
                          f"oracle; {need}")
    l2 = oracle.reg.l2_alpha(oracle.reg_alpha)
    if l2 != l2:
        raise ConfigError(f"--global-regulizer: {config.global_regulizer!r} is not convex and "
                          f"has no Hessian oracle; {need}")


def newton_direction(upper: torch.Tensor, grad: torch.Tensor, shift: float = 0.0,
                     mu: float | None = None) -> torch.Tensor:
    """``M^-1 grad`` for the symmetric M given by its upper triangle ``upper``.

    ``shift`` adds ``shift I`` (FedNL option 2); ``mu`` projects M onto {M >= mu I} first
    (option 1): eigenvalues below mu are raised to mu.
    """
    d = grad.numel()
    m = unpack(upper, d)
    if shift:
        m = m + shift * torch.eye(d, dtype=m.dtype, device=m.device)
    if mu is not None:
        shifted = m - mu * torch.eye(d, dtype=m.dtype, device=m.device)
        if int(torch.linalg.cholesky_ex(shifted).info) != 0:  # some eigenvalue <= mu
            values, vectors = torch.linalg.eigh(m)
            return vectors @ ((vectors.T @ grad) / values.clamp(min=mu))
    factor, info = torch.linalg.cholesky_ex(m)
    if int(info) == 0:
        return torch.cholesky_solve(grad[:, None], factor)[:, 0]
    try:
        return torch.linalg.solve(m, grad)
    except RuntimeError:
        raise ValueError("the Newton system is singular; add an l2 regularizer "
                         "(--global-regulizer cvx_l2norm) or use option 2") from None
