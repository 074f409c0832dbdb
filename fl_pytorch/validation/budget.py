"""Memory and time estimates: refuse, before any work, a run that cannot fit this machine.

The estimates are *lower bounds*, made of costs no run can avoid: the metrics row every round
keeps in memory, the generated data set, the list of local steps every client plans, and at
least a microsecond per local step and ten per round (a Python call costs more). A run whose
lower bound exceeds this machine's memory, or :data:`MAX_SECONDS`, is refused with the
estimate in the message, naming the option that contributes most. Anything smaller is left to
run: a refused run must be clearly impossible, never merely slow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import OPTIONS, Config, primary_flag
from ..errors import ConfigError
from ..utils.sizes import human_bytes, human_seconds, machine_memory

ROW_BYTES = 500  # a metrics row (a dict of ~15 floats) is ~830 bytes; 500 is a lower bound
STEP_BYTES = 8  # one entry of a client's list of local steps
FLOAT_BYTES = 8
ROUND_SECONDS = 10e-6  # the round loop's own work
STEP_SECONDS = 1e-6  # one local step of one client
PEAK_FLOPS = 1e12  # an optimistic CPU/GPU speed for a gradient's arithmetic
MAX_SECONDS = 30 * 24 * 3600.0
QUADRATIC = "generated_for_quadratic_minimization"


@dataclass(frozen=True)
class Cost:
    """One part of an estimate: the option it comes from, and its size (bytes or seconds)."""

    option: str
    amount: float
    what: str


def _refuse(costs: list[Cost], config: Config, total: str, limit: str) -> ConfigError:
    top = max(costs, key=lambda c: c.amount)
    name = next(n for n in OPTIONS if primary_flag(OPTIONS[n]) == top.option)
    return ConfigError(f"{top.option}: invalid value {getattr(config, name)!r}; {total} "
                       f"(mostly {top.what}), {limit}")


def memory_costs(config: Config) -> list[Cost]:
    """Memory no run of ``config`` can do without (known before the data set is loaded)."""
    costs = [Cost("--rounds", (config.rounds + 1) * ROW_BYTES,
                  f"the metrics of {config.rounds} rounds at >= {ROW_BYTES} B each"),
             Cost("--number-of-local-iters", config.number_of_local_iters * STEP_BYTES,
                  f"the plan of {config.number_of_local_iters} local steps of a client")]
    if config.dataset == QUADRATIC:
        costs.append(Cost("--dataset-generation-spec", quadratic_bytes(config),
                          "the generated data set"))
    return costs


def quadratic_bytes(config: Config) -> float:
    """The generated quadratic problem: every client's samples, the Hessians it keeps."""
    from ..data.federated import parse_spec
    from ..data.quadratic import DEFAULTS
    p = parse_spec(config.dataset_generation_spec, DEFAULTS)
    clients, n, d = p["clients"], p["samples_per_client"], p["variables"]
    distinct = 1 if p["homogeneous"] else clients
    return FLOAT_BYTES * (clients * n * (d + 1) + distinct * d * d + clients * d)


def check_config(config: Config) -> None:
    """Refuse ``config`` when its memory or time lower bound is beyond this machine."""
    costs = memory_costs(config)
    need, have = sum(c.amount for c in costs), machine_memory()
    if need > have:
        raise _refuse(costs, config, f"the run needs at least {human_bytes(need)} of memory",
                      f"but this machine has {human_bytes(have)}")
    check_time(config, clients_per_round=1.0, flops_per_step=0.0)


def check_time(config: Config, clients_per_round: float, flops_per_step: float) -> None:
    """Refuse when the run's time lower bound exceeds :data:`MAX_SECONDS`."""
    per_step = max(STEP_SECONDS, flops_per_step / PEAK_FLOPS)
    costs = [Cost("--rounds", config.rounds * ROUND_SECONDS, f"{config.rounds} rounds"),
             Cost("--number-of-local-iters", config.rounds * clients_per_round
                  * config.number_of_local_iters * per_step,
                  f"{config.number_of_local_iters} local steps of {clients_per_round:g} "
                  f"client(s) in each of {config.rounds} rounds, >= {per_step:.2g} s each")]
    need = sum(c.amount for c in costs)
    if need > MAX_SECONDS:
        raise _refuse(costs, config, f"the run would take at least {human_seconds(need)}",
                      f"more than the {human_seconds(MAX_SECONDS)} this tool accepts")


def check_simulation(sim: Any) -> None:
    """The time lower bound again, with the loaded problem's size and participation."""
    from ..core.theory import expected_clients
    cfg = sim.config
    clients = expected_clients(cfg.client_sampling_type, sim.num_clients,
                               cfg.num_clients_per_round, cfg.client_sampling_poisson)
    check_time(cfg, max(clients, 1.0), 2.0 * sim.dim)
