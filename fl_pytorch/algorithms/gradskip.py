"""GradSkip: local training with random communication and client-specific gradient skipping.

Maranjyan, Safaryan and Richtarik, 2022, "GradSkip: Communication-Accelerated Local Gradient
Methods with Better Computational Complexity", arXiv:2210.16402, Algorithm 1.

ProxSkip (Scaffnew) whose clients may stop computing gradients early in a round. One round of
the simulator is the run of local iterations up to a communication (theta_t = 1):

* CLIENT_STATE (line 3): draw the round's length K ~ Geometric(p) (the first iteration with
  theta_t = 1) and set it as the round's number of local steps (``-li`` is not used);
* LOCAL_GRADIENT (lines 5-6, 13): at the first step, finish the previous communication's line 13,
  ``h_i = h^_i + (p/gamma)(x - x^_i)``; then flip eta ~ Bernoulli(q_i): on eta = 1 return
  ``grad f_i(y) - h_i``; on eta = 0 set ``h_i = grad f_i(y)`` and return 0. From then on y no
  longer moves and h_i stays ``grad f_i(y)``, so the client computes no more gradients this round
  (the oracle counts show it, per client in ``result["clients"]``);
* CLIENT_OPT (line 7): ``y - gamma (grad f_i(y) - h_i)``, the local optimizer with gamma = local lr;
* LOCAL_STATE (line 9): send ``y - (gamma/p) h_i`` uncompressed; keep h^_i = h_i and x^_i = y;
* SERVER_GRADIENT: ``x - mean``, so SERVER_OPT with global lr 1 sets x to the average (line 9).

Options: p (default ``1/sqrt(kappa_max)``; 0.01, the original tool's, on datasets that do not
expose L_i and mu_i) and q with the original FL_PyTorch's meaning: the
probability that a client stops computing gradients at a step (the paper's q_i is ``1 - q``): a
value for all clients, a space-separated list per client (the last value repeats), ``proxskip``
(0: never stop, ProxSkip), ``random`` (uniform in [0, 1) per client, from the runtime seed) or
``optimal`` (the original tool's rule for client i taking ``T_i = i + 2`` time units per
gradient: ``min(p (T_i / T_min - 1) / (1 - p), 1)``). Default: the GradSkip paper's choice
``1 - q_i`` with ``q_i = (1 - 1/kappa_i) / (1 - 1/kappa_max)``, ``kappa_i = L_i / mu``,
mu = min_i mu_i (without those constants: 0, ProxSkip, the original tool's default).
Theorem 3.6 (strongly convex), with the paper's q_i: linear convergence for
``gamma <= min_i p^2 / (L_i (1 - q_i (1 - p^2)))``, at rate ``min(gamma mu, 1 - q_max (1 - p^2))``;
with the defaults gamma = 1/L_max and both rates are 1/kappa_max, as for ProxSkip, while client i
computes O(min(kappa_i, sqrt(kappa_max))) gradients per round. ``th_stepsize_cvx`` sets that
gamma as the local lr and the global lr to 1. Full participation; a static local lr is assumed.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..core.algorithm import Algorithm, RoundStart, State, Tensor, Work, batchable
from ..core.algorithm_options import AlgoOption, fraction
from ..core.context import ClientContext, ServerContext
from ..core.theory import Setting, StepSizes
from ..errors import ConfigError
from .registry import register_algorithm

MODES = ("proxskip", "random", "optimal")


def parse_q(text: str) -> str | tuple[float, ...]:
    """``q``: a mode name, or one value / space-separated values in [0, 1]."""
    if text in MODES:
        return text
    if text == "adaptive":
        raise ValueError("q:adaptive (the original tool re-estimated q every 100 rounds from "
                         "simulated client compute times) needs a per-client time model that "
                         f"this version does not have; valid: {', '.join(MODES)} or values")
    why = f"q must be {', '.join(MODES)}, or values in [0, 1] separated by spaces"
    try:
        values = tuple(float(v) for v in text.split())
    except ValueError:
        raise ValueError(why) from None
    if not values or not all(0.0 <= v <= 1.0 for v in values):
        raise ValueError(why)
    return values


def _kappas(setting: Setting) -> list[float] | None:
    """kappa_i = L_i / min_j mu_j, or None when the dataset does not expose the constants."""
    if not {"L_i", "mu_i"} <= setting.constants.keys():
        return None
    mu = min(setting.mu_i)
    return [big_l / mu for big_l in setting.L_i]


def stop_probabilities(q: str | tuple[float, ...] | None, p: float, setting: Setting
                       ) -> tuple[float, ...]:
    """Per client, the probability of stopping at a step (the original tool's q)."""
    n = setting.num_clients
    kappa = _kappas(setting)
    if q is None and kappa is None:  # the original tool's default without the constants
        return (0.0,) * n
    if q is None:
        k_max = max(kappa)
        return tuple(1.0 - ((1 - 1 / k) / (1 - 1 / k_max) if k_max > 1 else 1.0) for k in kappa)
    if q == "proxskip":
        return (0.0,) * n
    if q == "random":
        return tuple(torch.rand(n, generator=torch.Generator().manual_seed(setting.seed),
                                dtype=torch.float64).tolist())
    if q == "optimal":
        times = [i + 2.0 for i in range(n)]
        return tuple(min(p * (t / min(times) - 1.0) / (1.0 - p), 1.0) if p < 1 else 0.0
                     for t in times)
    return tuple(q[min(i, len(q) - 1)] for i in range(n))


def resolve(options: dict[str, Any], setting: Setting) -> dict[str, Any]:
    """Defaults of p and q (module docstring); q as per-client stop probabilities."""
    p, kappa = options["p"], _kappas(setting)
    if p is None:  # the paper's 1/sqrt(kappa_max), or the original tool's 0.01 without it
        p = 0.01 if kappa is None else 1.0 / math.sqrt(max(kappa))
    return {**options, "p": p, "q": stop_probabilities(options["q"], p, setting)}


def init_client(client_id: int, x0: Tensor) -> State:
    """h^_i = 0 and x^_i = x0 (the state after the previous communication)."""
    return {"h_hat": torch.zeros_like(x0), "x_hat": x0.detach().clone()}


def draw_round_length(h: State, ctx: ServerContext) -> RoundStart:
    """CLIENT_STATE: the round's length K ~ Geometric(p), the first theta_t = 1."""
    p = ctx.options["p"]
    u = torch.rand((), generator=ctx.generator, dtype=torch.float64).item()
    return RoundStart(local_steps=1 if p >= 1 else 1 + int(math.log1p(-u) / math.log1p(-p)))


def skipping_shifted_gradient(ctx: ClientContext, y: Tensor, work: Work
                              ) -> tuple[Tensor, Work]:
    """LOCAL_GRADIENT: ``grad f_i(y) - h_i`` until the coin says stop, then 0 (frozen)."""
    if ctx.step == 0:  # line 13 of the previous communication
        h_i = ctx.state["h_hat"] + (ctx.options["p"] / ctx.lr) * (ctx.x - ctx.state["x_hat"])
        work = {**work, "h": h_i, "frozen": False}
    if work["frozen"]:
        return torch.zeros_like(y), work
    g = ctx.grad(y)
    q = 1.0 - ctx.options["q"][ctx.client_id]  # the paper's: probability of another step
    if torch.rand((), generator=ctx.generator, dtype=torch.float64).item() >= q:
        work = {**work, "h": g, "frozen": True}
    return g - work["h"], work


@batchable
def send_shifted_model(ctx: ClientContext, x: Tensor, y: Tensor, work: Work
                       ) -> tuple[State, State]:
    """LOCAL_STATE: ``y - (gamma/p) h_i`` uncompressed; keep h^_i = h_i and x^_i = y."""
    h = work["h"]
    return {"m": ctx.send(y - (ctx.lr / ctx.options["p"]) * h)}, {"h_hat": h, "x_hat": y}


def move_to_average(agg: State, h: State, ctx: ServerContext) -> Tensor:
    """SERVER_GRADIENT: ``x - mean``: SERVER_OPT with global lr 1 moves x to the average."""
    return ctx.x - agg["m"]


def step_size(setting: Setting, options: dict[str, Any], convex: bool) -> StepSizes:
    """Theorem 3.6's local step size with global lr 1 (strongly convex only)."""
    if not convex:
        raise ConfigError("--algorithm-options: invalid value 'th_stepsize_noncvx' for algorithm "
                          "'gradskip'; its theory is for strongly convex problems; valid: "
                          "th_stepsize_cvx")
    p2 = options["p"] ** 2
    gamma = min(p2 / (big_l * (1 - (1 - q) * (1 - p2)))
                for big_l, q in zip(setting.L_i, options["q"]))
    return StepSizes(global_lr=1.0, local_lr=gamma)


GRADSKIP = register_algorithm(Algorithm(
    name="gradskip", summary="ProxSkip whose clients skip gradient computations (probability q_i)",
    paper="Maranjyan, Safaryan, Richtarik, 2022",
    options={"p": AlgoOption(fraction("p"), None, "communication probability per local step "
                             "(default 1/sqrt(kappa_max))"),
             "q": AlgoOption(parse_q, None, "probability that a client stops computing "
                             "gradients at a step (the original tool's q): V, 'V1 V2 ...' per "
                             "client, proxskip, random or optimal (default: the paper's "
                             "1 - (1-1/kappa_i)/(1-1/kappa_max))")},
    init_client_state=init_client, client_state=draw_round_length,
    local_gradient=skipping_shifted_gradient, local_state=send_shifted_model,
    server_gradient=move_to_average, compressor_kind="none", full_participation=True,
    draws_round_length=True,
    step_size=step_size, resolve_options=resolve,
))
