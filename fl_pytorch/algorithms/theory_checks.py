"""Conditions that theoretical step sizes share."""

from __future__ import annotations

from ..core.theory import Setting
from ..errors import ConfigError


def needs_full_participation(setting: Setting, name: str, variant: str) -> None:
    """Refuse a full-participation theorem's step size under client sampling."""
    if setting.participation < 1.0:
        raise ConfigError(
            f"--algorithm-options: the theoretical step size of {name!r} (th_stepsize_cvx/"
            f"noncvx) assumes every client in every round, and --client-sampling-type gives "
            f"{setting.clients_per_round:g} of {setting.num_clients} per round; valid: full "
            f"participation, or --algorithm {variant} (the partial-participation variant)")
