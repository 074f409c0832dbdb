"""Client device profiles: each client's compute speed and link, drawn from a named profile.

``--client-profile`` names the population:

* ``uniform``: every client is the reference device (:data:`REFERENCE`).
* ``lognormal:SIGMA``: each client's compute speed, uplink and downlink bandwidth and latency are
  the reference values times independent log-normal factors ``exp(SIGMA * z)``, z ~ N(0, 1)
  (median factor 1; SIGMA = 1 puts the middle 68% of clients within a factor e of the median).
* ``file:PROFILE.csv``: one row per client with the columns of :data:`CSV_COLUMNS`
  (``client`` from 0; rows of clients the run does not have are ignored).

Draws are deterministic from the seed and the client id alone (``streams.py``), so the same
seed gives the same federation whatever the number of clients, threads or workers.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .streams import normals

OPTION = "--client-profile"
PROFILE_KINDS = ("uniform", "lognormal:SIGMA", "file:PROFILE.csv")
CSV_COLUMNS = ("client", "flops", "up_bps", "down_bps", "latency_s")
"""Columns of a profile file: client id, FLOP/s, uplink and downlink bits/s, latency (s)."""


@dataclass(frozen=True)
class Device:
    """One device: training speed (FLOP/s), uplink / downlink bandwidth (bit/s), latency (s)."""

    flops: float
    up_bps: float
    down_bps: float
    latency_s: float


REFERENCE = Device(flops=1e9, up_bps=1e6, down_bps=1e7, latency_s=0.05)
"""The reference client: 1 GFLOP/s of training, 1 Mbit/s up, 10 Mbit/s down, 50 ms latency."""


@dataclass(frozen=True)
class Profile:
    """The devices of all clients of a run: arrays indexed by client id."""

    spec: str
    flops: np.ndarray
    up_bps: np.ndarray
    down_bps: np.ndarray
    latency_s: np.ndarray

    @property
    def num_clients(self) -> int:
        return len(self.flops)

    def device(self, client: int) -> Device:
        """The device of ``client``."""
        return Device(float(self.flops[client]), float(self.up_bps[client]),
                      float(self.down_bps[client]), float(self.latency_s[client]))

    def to_plain(self) -> dict[str, object]:
        """The profile as plain data for a result file."""
        return {"spec": self.spec, "flops": self.flops.copy(), "up_bps": self.up_bps.copy(),
                "down_bps": self.down_bps.copy(), "latency_s": self.latency_s.copy()}


def _bad(spec: str, why: str) -> ConfigError:
    return ConfigError(f"{OPTION}: invalid value {spec!r}; {why}")


def _sigma(spec: str, text: str) -> float:
    try:
        sigma = float(text)
    except ValueError:
        raise _bad(spec, "SIGMA must be a number, e.g. lognormal:0.5") from None
    if not (math.isfinite(sigma) and 0 < sigma <= 10):
        raise _bad(spec, "SIGMA must be in (0, 10], e.g. lognormal:0.5")
    return sigma


def parse_spec(spec: str) -> tuple[str, float | str | None]:
    """``(kind, argument)`` of a profile spec: (uniform, None), (lognormal, SIGMA), (file, PATH).

    Raises:
        ConfigError: unknown kind or bad argument (naming the valid forms).
    """
    kind, _, arg = spec.partition(":")
    if kind == "uniform" and not arg:
        return "uniform", None
    if kind == "lognormal" and arg:
        return "lognormal", _sigma(spec, arg)
    if kind == "file" and arg:
        return "file", arg
    raise _bad(spec, f"valid: {', '.join(PROFILE_KINDS)}")


def _number(path: str, line: int, column: str, text: str) -> float:
    """A finite number > 0 (>= 0 for the latency) read from a profile file's cell."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    low_ok = value >= 0 if column == "latency_s" else value > 0
    if not (math.isfinite(value) and low_ok):
        bound = ">= 0" if column == "latency_s" else "> 0"
        raise ConfigError(f"{OPTION}: {path!r} line {line}: {column} {text!r} must be a "
                          f"finite number {bound}")
    return value


def read_profile_file(path: str) -> dict[int, Device]:
    """The devices of a profile CSV file, by client id.

    Raises:
        ConfigError: unreadable file, missing or unknown columns, bad numbers, repeated ids.
    """
    from ..utils.files import read_text
    rows = csv.DictReader(io.StringIO(read_text(OPTION, path)))
    columns = [c.strip() for c in rows.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if missing or unknown:
        what = f"missing column {missing[0]!r}" if missing else f"unknown column {unknown[0]!r}"
        raise ConfigError(f"{OPTION}: {path!r}: {what}; the header must name "
                          f"{', '.join(CSV_COLUMNS)}")
    devices: dict[int, Device] = {}
    for line, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        text = row["client"]
        if not text.isdigit():
            raise ConfigError(f"{OPTION}: {path!r} line {line}: client {text!r} must be an "
                              "integer >= 0")
        client = int(text)
        if client in devices:
            raise ConfigError(f"{OPTION}: {path!r} line {line}: client {client} appears twice")
        devices[client] = Device(*(_number(path, line, c, row[c]) for c in CSV_COLUMNS[1:]))
    if not devices:
        raise ConfigError(f"{OPTION}: {path!r}: no client rows after the header")
    return devices


def check_profile(spec: str) -> str | None:
    """The reason ``spec`` is not a valid profile (for the option's check), or None."""
    try:
        kind, arg = parse_spec(spec)
        if kind == "file":
            read_profile_file(str(arg))
    except ConfigError as e:
        text = str(e)
        for prefix in (f"{OPTION}: invalid value {spec!r}; ", f"{OPTION}: "):
            if text.startswith(prefix):
                return text[len(prefix):]
        return text
    return None


def _from_file(spec: str, path: str, num_clients: int) -> Profile:
    devices = read_profile_file(path)
    absent = [i for i in range(num_clients) if i not in devices]
    if absent:
        raise ConfigError(f"{OPTION}: {path!r} has no row for client {absent[0]} (the run has "
                          f"{num_clients} clients, ids 0..{num_clients - 1})")
    rows = [devices[i] for i in range(num_clients)]
    return Profile(spec, *(np.array([getattr(d, f) for d in rows], dtype=np.float64)
                           for f in CSV_COLUMNS[1:]))


def build_profile(spec: str, num_clients: int, seed: int) -> Profile:
    """The devices of clients ``0..num_clients-1`` under ``spec``, drawn from ``seed``.

    Raises:
        ConfigError: a bad spec, or a profile file that lacks one of the clients.
    """
    kind, arg = parse_spec(spec)
    if kind == "file":
        return _from_file(spec, str(arg), num_clients)
    ids = np.arange(num_clients)
    sigma = float(arg) if kind == "lognormal" else 0.0
    factors = [np.exp(sigma * normals(seed, ids, draw)) for draw in range(4)]
    base = (REFERENCE.flops, REFERENCE.up_bps, REFERENCE.down_bps, REFERENCE.latency_s)
    return Profile(spec, *(value * factor for value, factor in zip(base, factors)))
