"""Built-in algorithms; each module registers its record in ``ALGORITHMS``."""

from . import (  # noqa: F401  (registration)
    cofig,
    dcgd,
    diana,
    ef21,
    ef21_pp,
    fedavg,
    fednl,
    fednl_ls,
    fednl_pp,
    fedopt,
    fedprox,
    frecon,
    gd,
    gradskip,
    marina,
    newton,
    page,
    pp_marina,
    scaffold,
)
from .registry import ALGORITHMS, register_algorithm

__all__ = ["ALGORITHMS", "register_algorithm"]
