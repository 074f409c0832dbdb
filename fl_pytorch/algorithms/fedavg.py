"""FedAvg: local SGD steps, the server averages the model changes.

McMahan et al., AISTATS 2017, "Communication-Efficient Learning of Deep Networks from
Decentralized Data".

Hooks: LOCAL_GRADIENT = stochastic gradient of f_i; CLIENT_OPT = local optimizer step (local SGD);
LOCAL_STATE = compressed model change y - x; SERVER_GRADIENT = minus the weighted mean change;
SERVER_OPT = server optimizer with the global lr (global lr 1 + SGD = model averaging).
"""

from ..core.algorithm import Algorithm
from .registry import register_algorithm

FEDAVG = register_algorithm(Algorithm(
    name="fedavg",
    summary="local SGD steps, server averages the model changes",
    paper="McMahan et al., AISTATS 2017",
))
