"""EF21-PP: EF21 with partial participation.

Fatkhullin, Sokolov, Gorbunov, Li and Richtarik, 2021, "EF21 with Bells & Whistles: Practical
Algorithmic Extensions of Modern Error Feedback", arXiv:2110.03294, Algorithm EF21-PP.

EF21's hooks, unchanged: only the sampled clients update their g_i and send ``c_i``, and the
server adds ``sum_{i in S} w_i c_i`` (1/n sum over S for uniform weights, not the mean over S),
so g stays the weighted sum of all g_i. The paper samples each client independently with
probability p_i (``--client-sampling-type poisson``); the analysis uses only these marginal
probabilities, so uniform sampling (p = k/n) is accepted as well.

Theoretical step size (paper's theorem for EF21-PP with p_i = p): for any s, rho > 0 with
``theta_p = p theta - rho (1 - p) > 0``, where ``theta = 1 - (1 + s)(1 - alpha)``,
``beta = (1 + 1/s)(1 - alpha)`` and ``B = (beta p + (1 + 1/rho)(1 - p)) L~^2``:
non-convex ``1 / (L + sqrt(B / theta_p))``; PL (``th_stepsize_cvx``)
``min(1 / (L + sqrt(2 B / theta_p)), theta_p / (2 mu))``. The free parameters s and rho are
chosen on a log grid to maximize the step (with p = 1 this recovers EF21's closed form).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core.theory import Setting, StepSizes
from .ef21 import EF21
from .registry import register_algorithm

_S = np.logspace(-4, 4, 401)[:, None]
_RHO = np.logspace(-6, 3, 451)[None, :]


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    p, a = setting.participation, setting.alpha
    theta = 1.0 - (1.0 + _S) * (1.0 - a)
    beta = (1.0 + 1.0 / _S) * (1.0 - a)
    theta_p = p * theta - _RHO * (1.0 - p)
    b = (beta * p + (1.0 + 1.0 / _RHO) * (1.0 - p)) * setting.L_tilde ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = 1.0 / (setting.L + np.sqrt((2.0 if convex else 1.0) * b / theta_p))
        if convex:
            gamma = np.minimum(gamma, theta_p / (2.0 * setting.mu))
    return StepSizes(float(np.max(np.where(theta_p > 0, gamma, 0.0))))


EF21_PP = register_algorithm(dataclasses.replace(
    EF21, name="ef21-pp", summary="EF21 with partial participation (Poisson client sampling)",
    paper="Fatkhullin, Sokolov, Gorbunov, Li, Richtarik, 2021", full_participation=False,
    step_size=step_size,
))
