"""The FedOpt family: FedAvg whose server applies an optimizer to the pseudo-gradient.

Reddi, Charles, Zaheer, Garrett, Rush, Konecny, Kumar and McMahan, ICLR 2021, "Adaptive Federated
Optimization", Algorithm 2; the pseudo-gradient is ``-mean(y_i - x)``.

Each name is FedAvg with a fixed server optimizer (SERVER_OPT is the optimizer's ``step()`` with
the global lr): ``fedavgm`` = ``momentum`` (Hsu, Qi and Brown, 2019, "Measuring the Effects of
Non-Identical Data Distribution for Federated Visual Classification"; ``--global-momentum``),
``fedadagrad`` = ``adagrad``, ``fedadam`` = ``adam``, ``fedyogi`` = ``yogi``
(``core/optim.py``). They are the same runs as ``--algorithm fedavg --global-optimiser NAME``;
``--global-optimiser`` may stay at its default (sgd) or name the same optimizer. Adagrad and Adam
are torch.optim's (Adam with bias correction and eps 1e-8, where the paper uses none and
tau = 1e-3). Adaptive servers want a much smaller ``--global-lr`` than 1 (the paper tunes
0.01 to 1).
"""

from __future__ import annotations

import dataclasses

from .fedavg import FEDAVG
from .registry import register_algorithm

VARIANTS = {
    "fedavgm": ("momentum", "FedAvg with server momentum (--global-momentum)",
                "Hsu, Qi, Brown, 2019"),
    "fedadagrad": ("adagrad", "FedAvg with an Adagrad server optimizer", "Reddi et al., ICLR 2021"),
    "fedadam": ("adam", "FedAvg with an Adam server optimizer", "Reddi et al., ICLR 2021"),
    "fedyogi": ("yogi", "FedAvg with a Yogi server optimizer", "Reddi et al., ICLR 2021"),
}

FEDOPT = {name: register_algorithm(dataclasses.replace(
    FEDAVG, name=name, summary=summary, paper=paper, server_optimiser=optimiser))
    for name, (optimiser, summary, paper) in VARIANTS.items()}
