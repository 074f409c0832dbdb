"""What an algorithm requires of a configuration, checked once at setup (``build_simulation``).

Compressor families (``Algorithm.compressor_kind``):

* ``unbiased``: ``E C(x) = x`` with variance parameter omega (DIANA, MARINA, PP-MARINA, COFIG,
  FRECON); a contractive (biased) compressor is a ConfigError.
* ``contractive``: ``||C(x) - x||^2 <= (1 - alpha) ||x||^2`` (EF21, EF21-PP). Contractive
  compressors are used as they are. An unbiased C is accepted too and used as ``C / (omega + 1)``,
  which is contractive with ``alpha = 1 / (omega + 1)`` in expectation (EF21 paper, Richtarik et
  al. 2021, Sec. 2): same bits, shorter message. Decision: accepting it keeps standard pairs such
  as EF21 + rand-k usable; the scaling is what the theory needs, so it is applied, not left to
  the user.
* ``any``: no requirement (FedAvg, FedProx, SCAFFOLD, DCGD, the FedOpt family).
* ``none``: the algorithm sends uncompressed messages (GradSkip, PAGE); only ``ident``.
"""

from __future__ import annotations

from typing import Any

from ..compressors import Compressor, parse_compressor
from ..compressors.contractive import as_contractive
from ..compressors.identity import Identity
from ..core.theory import expected_clients
from ..errors import ConfigError

KINDS = ("unbiased", "contractive", "any", "none")


def family(unbiased: bool) -> list[str]:
    """Registered compressor names of one family (each built once with a probe argument)."""
    from ..compressors import COMPRESSORS
    names = []
    for name in COMPRESSORS.names():
        for spec in (name, f"{name}:1"):
            try:
                built = parse_compressor(spec)
            except ConfigError:
                continue
            if built.unbiased == unbiased:
                names.append(name)
            break
    return names


def _algorithms(predicate: Any) -> str:
    from ..algorithms import ALGORITHMS
    return ", ".join(n for n in ALGORITHMS.names() if predicate(ALGORITHMS.get(n)))


def adapt_uplink(algorithm: Any, compressor: Compressor) -> Compressor:
    """The uplink compressor as ``algorithm`` will use it, or a ConfigError naming the option."""
    kind, name, spec = algorithm.compressor_kind, algorithm.name, compressor.spec
    if kind not in KINDS:
        raise ValueError(f"algorithm {name!r}: compressor_kind {kind!r} is not one of "
                         f"{', '.join(KINDS)}")
    bad = f"--client-compressor: invalid value {spec!r} for algorithm {name!r}"
    if kind == "none" and not isinstance(compressor, Identity):
        note = algorithm.extra.get("uplink_note", "which sends its messages uncompressed")
        raise ConfigError(f"{bad}, {note}; valid choices: ident")
    if kind == "unbiased" and not compressor.unbiased:
        raise ConfigError(
            f"{bad}, which needs an unbiased compressor (E C(x) = x), and {spec!r} is "
            f"contractive (biased); valid choices: {', '.join(family(True))} and their '+' "
            "compositions (algorithms for contractive compressors: "
            f"{_algorithms(lambda a: a.compressor_kind == 'contractive')})")
    if kind == "contractive":
        return as_contractive(compressor)
    return compressor


def check_participation(algorithm: Any, sampling: str, num_clients: int, per_round: int,
                        p: float) -> None:
    """Refuse partial participation for an algorithm that needs every client every round."""
    if not algorithm.full_participation or \
            expected_clients(sampling, num_clients, per_round, p) >= num_clients:
        return
    raise ConfigError(
        f"--client-sampling-type: invalid value {sampling!r} for algorithm {algorithm.name!r}, "
        f"which needs every client in every round; valid choices: full (or uniform with "
        f"--num-clients-per-round {num_clients}); algorithms for partial participation: "
        f"{_algorithms(lambda a: not a.full_participation)}")


def check_system(algorithm: Any, config: Any) -> None:
    """Refuse dropout and deadlines where a round cannot lose clients (docs/heterogeneity.md)."""
    for flag, value in (("--client-dropout", config.client_dropout),
                        ("--round-deadline", config.round_deadline)):
        if value and algorithm.full_participation:
            raise ConfigError(
                f"{flag}: invalid value {value!r} for algorithm {algorithm.name!r}, which needs "
                "every client in every round; valid value: 0 (algorithms for partial "
                f"participation: {_algorithms(lambda a: not a.full_participation)})")


def server_optimiser(algorithm: Any, configured: str) -> str:
    """The server optimizer to build: the algorithm's fixed one (FedOpt family) or the option."""
    fixed = algorithm.server_optimiser
    if fixed is None:
        return configured
    if configured not in ("sgd", fixed):
        raise ConfigError(
            f"--global-optimiser: invalid value {configured!r} for algorithm "
            f"{algorithm.name!r}, which fixes the server optimizer to {fixed!r}; valid choices: "
            f"{fixed}, sgd (the default, replaced by {fixed}); for another server optimizer use "
            f"--algorithm fedavg --global-optimiser NAME")
    return fixed


def check_local_steps(algorithm: Any, iterations: int) -> None:
    """Refuse ``-li`` > 1 where an algorithm takes one step (PAGE) or draws them (GradSkip)."""
    if iterations == 1 or (algorithm.local_steps and not algorithm.draws_round_length):
        return
    why = "draws the number of local steps of each round itself" \
        if algorithm.draws_round_length else "takes exactly one gradient step per round"
    raise ConfigError(f"--number-of-local-iters: invalid value {iterations} for algorithm "
                      f"{algorithm.name!r}, which {why}; valid: 1")
