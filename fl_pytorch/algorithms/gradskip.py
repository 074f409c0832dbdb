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

Options: p (default ``1/sqrt(kappa_max)``) and q, one value for all clients (default per client
``q_i = (1 - 1/kappa_i) / (1 - 1/kappa_max)``), with ``kappa_i = L_i / mu`` and mu = min_i mu_i.
Theorem 3.6 (strongly convex): linear convergence for
``gamma <= min_i p^2 / (L_i (1 - q_i (1 - p^2)))``, at rate ``min(gamma mu, 1 - q_max (1 - p^2))``;
with the defaults gamma = 1/L_max and both rates are 1/kappa_max, as for ProxSkip, while client i
computes O(min(kappa_i, sqrt(kappa_max))) gradients per round. ``th_stepsize_cvx`` sets that
gamma as the local lr and the global lr to 1. Full participation; a static local lr is assumed.
"""

from __future__ import annotations

import math

import torch

from ..core.algorithm import Algorithm
from ..core.algorithm_options import AlgoOption, fraction
from ..core.theory import Setting, StepSizes
from ..errors import ConfigError
from .registry import register_algorithm


def resolve(options, setting: Setting):
    p, q = options["p"], options["q"]
    if p is None or q is None:
        mu = min(setting.mu_i)
        kappa = [big_l / mu for big_l in setting.L_i]
        kappa_max = max(kappa)
        if p is None:
            p = 1.0 / math.sqrt(kappa_max)
        if q is None:
            return {**options, "p": p, "q": tuple(
                (1 - 1 / k) / (1 - 1 / kappa_max) if kappa_max > 1 else 1.0 for k in kappa)}
    return {**options, "p": p, "q": (q,) * setting.num_clients}


def init_client(client_id, x0):
    return {"h_hat": torch.zeros_like(x0), "x_hat": x0.detach().clone()}


def draw_round_length(h, ctx):
    p = ctx.options["p"]
    u = torch.rand((), generator=ctx.generator, dtype=torch.float64).item()
    ctx.local_steps = 1 if p >= 1 else 1 + int(math.log1p(-u) / math.log1p(-p))
    return {}


def skipping_shifted_gradient(ctx, y):
    s = ctx.scratch
    if "h" not in s:
        s["h"] = ctx.state["h_hat"] + (ctx.options["p"] / ctx.lr) * (ctx.x - ctx.state["x_hat"])
        s["frozen"] = False
    if s["frozen"]:
        return torch.zeros_like(y)
    g = ctx.grad(y)
    q = ctx.options["q"][ctx.client_id]
    if torch.rand((), generator=ctx.generator, dtype=torch.float64).item() >= q:
        s["h"], s["frozen"] = g, True
    return g - s["h"]


def send_shifted_model(ctx, x, y):
    h = ctx.scratch["h"]
    ctx.new_state["h_hat"], ctx.new_state["x_hat"] = h, y
    return {"m": ctx.send(y - (ctx.lr / ctx.options["p"]) * h)}


def move_to_average(agg, h, ctx):
    return ctx.x - agg["m"]


def step_size(setting: Setting, options, convex: bool) -> StepSizes:
    if not convex:
        raise ConfigError("--algorithm-options: invalid value 'th_stepsize_noncvx' for algorithm "
                          "'gradskip'; its theory is for strongly convex problems; valid: "
                          "th_stepsize_cvx")
    p2 = options["p"] ** 2
    gamma = min(p2 / (big_l * (1 - q * (1 - p2))) for big_l, q in zip(setting.L_i, options["q"]))
    return StepSizes(global_lr=1.0, local_lr=gamma)


GRADSKIP = register_algorithm(Algorithm(
    name="gradskip", summary="ProxSkip whose clients skip gradient computations (probability q_i)",
    paper="Maranjyan, Safaryan, Richtarik, 2022",
    options={"p": AlgoOption(fraction("p"), None, "communication probability per local step "
                             "(default 1/sqrt(kappa_max))"),
             "q": AlgoOption(fraction("q"), None, "probability of another local gradient step, "
                             "all clients (default (1-1/kappa_i)/(1-1/kappa_max))")},
    init_client_state=init_client, client_state=draw_round_length,
    local_gradient=skipping_shifted_gradient, local_state=send_shifted_model,
    server_gradient=move_to_average, compressor_kind="none", full_participation=True,
    draws_round_length=True,
    step_size=step_size, resolve_options=resolve,
))
