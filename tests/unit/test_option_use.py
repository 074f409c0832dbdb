"""An option given a value the run does not use is said in one warning line, never ignored
silently; the same value where it is used says nothing."""

import logging

import pytest

from fl_pytorch.engine.simulation import build_simulation

# option: (value, config where it has no effect, config where it is used)
CASES = {
    "num_clients_per_round": (3, {}, dict(client_sampling_type="uniform")),
    "client_sampling_poisson": (0.3, {}, dict(client_sampling_type="poisson")),
    "global_momentum": (0.5, dict(global_optimiser="adam"), dict(global_optimiser="momentum")),
    "local_momentum": (0.5, dict(local_optimiser="adam"), dict(local_optimiser="rmsprop")),
    "initialize_shifts_policy": ("full_gradient_at_start", {}, dict(algorithm="diana")),
    "local_lr": (0.05, dict(algorithm="page", run_local_steps=False), {}),
    "run_local_steps": (True, dict(algorithm="page"), {}),
    "batch_size": (7, {}, dict(algorithm_options="internal_sgd:sgd")),
    "global_regulizer_alpha": (0.1, {}, dict(global_regulizer="cvx_l2norm")),
    "remote_timeout": (5.0, {}, None),
}


class Lines(logging.Handler):
    """The messages the ``fl_pytorch`` logger emits while it is attached."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _unused_lines(config) -> list[str]:
    logger, handler = logging.getLogger("fl_pytorch"), Lines()
    logger.addHandler(handler)
    try:
        build_simulation(config)
    finally:
        logger.removeHandler(handler)
    return [line for line in handler.lines if "has no effect" in line]


@pytest.mark.parametrize("name", list(CASES))
def test_an_unused_option_is_said_and_a_used_one_is_not(quad_config, name):
    value, unused, used = CASES[name]
    flagged = _unused_lines(quad_config(**{**unused, name: value}))
    assert len(flagged) == 1 and flagged[0].startswith("--") and name.replace("_", "-")[:8] in \
        flagged[0].replace("_", "-")
    if used is not None:
        assert not _unused_lines(quad_config(**{**used, name: value}))
