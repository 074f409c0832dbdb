"""Simulated system heterogeneity: client devices, dropout, deadlines and simulated round time.

Self-contained (NumPy only, no torch, no Qt): ``profiles.py`` draws each client's device from
``--client-profile``; ``rounds.py`` turns a round's participants, their local work and the bits
they actually sent into dropped / late / kept clients and the round's simulated duration. The
model and how the round loop uses it: docs/heterogeneity.md.
"""

from .profiles import (
    CSV_COLUMNS,
    PROFILE_KINDS,
    REFERENCE,
    Device,
    Profile,
    build_profile,
    check_profile,
    parse_spec,
    read_profile_file,
)
from .rounds import (
    INITIAL_ROW,
    SYSTEM_METRICS,
    ClientWork,
    RoundTiming,
    SystemModel,
    WorkArrays,
    deadline_for_fraction,
    training_flops,
)

__all__ = ["CSV_COLUMNS", "INITIAL_ROW", "PROFILE_KINDS", "REFERENCE", "SYSTEM_METRICS",
           "ClientWork", "Device", "Profile", "RoundTiming", "SystemModel", "build_profile",
           "check_profile", "deadline_for_fraction", "parse_spec", "read_profile_file",
           "training_flops", "WorkArrays"]
