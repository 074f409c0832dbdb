"""What theoretical step sizes are computed from, and what they are.

:class:`Setting` gathers, once at setup, the facts a paper's step size depends on: the problem's
smoothness constants (as the dataset exposes them in ``dataset.info``: ``L``, ``mu``, ``L_i``,
``mu_i``), the uplink compressor's omega or alpha, and the expected participation.
:class:`StepSizes` is what an algorithm's ``step_size`` hook returns. The formulas themselves
live in the algorithm modules, next to the paper they come from; ``docs/algorithms.md``
tabulates them.

The papers minimize ``f = 1/n sum_i f_i``; the simulator minimizes ``f = sum_i w_i f_i``, which is
the papers' form with ``f~_i = n w_i f_i``. The per-client constants are therefore reported as
``n w_i L_i`` and ``n w_i mu_i`` (exactly ``L_i`` and ``mu_i`` for uniform weights). An l2
regularizer ``alpha/2 ||x||^2`` adds alpha to every smoothness and strong-convexity constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..compressors.base import Compressor
from ..errors import ConfigError


@dataclass(frozen=True)
class StepSizes:
    """Theoretical step sizes: the server's, and the clients' for local methods (else None)."""

    global_lr: float
    local_lr: float | None = None


@dataclass(frozen=True)
class Setting:
    """The constants of one simulation that theory needs (read-only)."""

    dataset: str
    num_clients: int
    dim: int
    uplink: Compressor
    #: expected number of clients per round: n (full), k (uniform), p n (poisson)
    clients_per_round: float
    weights: tuple[float, ...]
    samples_per_client: tuple[int, ...]
    #: samples in one local stochastic gradient of each client (its n_i for full gradients)
    batch_sizes: tuple[int, ...]
    #: L, mu, L_i, mu_i of the (regularized) problem; absent when the dataset does not know them
    constants: dict[str, Any] = field(default_factory=dict)
    #: the runtime seed, for option defaults drawn at random (GradSkip's q:random)
    seed: int = 0

    def _constant(self, name: str) -> Any:
        value = self.constants.get(name)
        if value is None:
            raise ConfigError(
                f"--algorithm-options: this needs the problem constant {name}, which dataset "
                f"{self.dataset!r} does not expose; valid: a dataset that exposes L, mu, L_i and "
                "mu_i (e.g. generated_for_quadratic_minimization), or explicit values (a fixed "
                "--global-lr, the algorithm's own options)")
        return value

    @property
    def omega(self) -> float:
        """Variance parameter of the (unbiased) uplink compressor."""
        if not self.uplink.unbiased:
            raise ConfigError(f"--client-compressor: invalid value {self.uplink.spec!r} for this "
                              "theoretical step size; it needs an unbiased compressor (omega), "
                              "and this one is contractive")
        return self.uplink.omega(self.dim)

    @property
    def alpha(self) -> float:
        """Contraction parameter of the uplink compressor (1/(omega+1) for unbiased ones)."""
        return self.uplink.alpha(self.dim)

    @property
    def participation(self) -> float:
        """Expected fraction of the clients taking part in a round."""
        return self.clients_per_round / self.num_clients

    @property
    def L(self) -> float:
        """Smoothness constant of f."""
        return float(self._constant("L"))

    @property
    def mu(self) -> float:
        """Strong convexity (or PL) constant of f."""
        return float(self._constant("mu"))

    @property
    def L_i(self) -> list[float]:
        """Smoothness constants of the papers' f~_i = n w_i f_i."""
        n = self.num_clients
        return [n * w * v for w, v in zip(self.weights, self._constant("L_i"))]

    @property
    def mu_i(self) -> list[float]:
        """Strong convexity constants of f~_i = n w_i f_i."""
        n = self.num_clients
        return [n * w * v for w, v in zip(self.weights, self._constant("mu_i"))]

    @property
    def L_max(self) -> float:
        """max_i L_i."""
        return max(self.L_i)

    @property
    def L_tilde(self) -> float:
        """sqrt(1/n sum_i L_i^2), the mean-square smoothness constant."""
        values = self.L_i
        return math.sqrt(sum(v * v for v in values) / len(values))


def expected_clients(sampling: str, num_clients: int, per_round: int, p: float) -> float:
    """Expected participants per round of a client-sampling scheme."""
    if sampling == "full":
        return float(num_clients)
    if sampling == "uniform":
        return float(min(per_round, num_clients))
    if sampling == "poisson-no-empty" and 0 < p < 1:  # E|S| given S non-empty
        return p * num_clients / -math.expm1(num_clients * math.log1p(-p))
    return p * num_clients


def problem_constants(info: dict[str, Any], l2_alpha: float) -> dict[str, Any]:
    """The constants of ``info`` that are known, shifted by an l2 regularizer's alpha.

    A regularizer with no known curvature (``l2_alpha`` NaN) makes them all unknown.
    """
    if l2_alpha != l2_alpha:
        return {}
    out: dict[str, Any] = {}
    for name in ("L", "mu"):
        if info.get(name) is not None:
            out[name] = float(info[name]) + l2_alpha
    for name in ("L_i", "mu_i"):
        if info.get(name) is not None:
            out[name] = [float(v) + l2_alpha for v in info[name]]
    return out


def selected_step_sizes(algorithm: Any, options: dict[str, Any], setting: Setting
                        ) -> StepSizes | None:
    """The paper's step sizes when ``th_stepsize_cvx`` or ``th_stepsize_noncvx`` is given."""
    convex, nonconvex = options.get("th_stepsize_cvx"), options.get("th_stepsize_noncvx")
    if not (convex or nonconvex):
        return None
    if convex and nonconvex:
        raise ConfigError("--algorithm-options: th_stepsize_cvx and th_stepsize_noncvx exclude "
                          "each other; valid: one of them")
    sizes = algorithm.step_size(setting, options, bool(convex))
    if not sizes.global_lr > 0 or not (sizes.local_lr is None or sizes.local_lr > 0):
        raise ConfigError(f"--algorithm-options: the theoretical step sizes of "
                          f"{algorithm.name!r} are not positive here ({sizes}); valid: a "
                          "problem and compressor for which the paper's conditions hold")
    return sizes
