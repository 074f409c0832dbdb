"""FedProx (Li et al., 2020, "Federated Optimization in Heterogeneous Networks").

FedAvg with LOCAL_GRADIENT replaced: the gradient of the proximal local objective
``f_i(y) + mu/2 ||y - x||^2``, i.e. ``g + mu (y - x)`` (option ``mu_prox``).
"""

import dataclasses

from ..core.algorithm import Tensor, Work, batchable
from ..core.algorithm_options import AlgoOption
from ..core.context import ClientContext
from .fedavg import FEDAVG
from .registry import register_algorithm


def _non_negative(v: str) -> float:
    value = float(v)
    if value < 0:
        raise ValueError("mu_prox must be >= 0")
    return value


@batchable
def proximal_gradient(ctx: ClientContext, y: Tensor, work: Work) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT of FedProx: ``g + mu (y - x)``."""
    return ctx.grad(y) + ctx.options["mu_prox"] * (y - ctx.x), work


FEDPROX = register_algorithm(dataclasses.replace(
    FEDAVG, name="fedprox", summary="FedAvg with a proximal term mu/2 ||y - x||^2 on clients",
    paper="Li et al., MLSys 2020",
    options={"mu_prox": AlgoOption(_non_negative, 0.1, "proximal coefficient mu")},
    local_gradient=proximal_gradient,
))
