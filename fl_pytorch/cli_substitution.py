"""The original tool's ``{name}`` substitution in command-line arguments.

Before parsing, every argument containing ``{`` is formatted (``str.format``; a substituted
value that holds ``{name}`` itself is substituted too, five levels deep) with ``simcounter``
(the number of this simulation in the process, from 1), ``now`` (seconds since the Unix
epoch), ``rnd-salt`` (a random integer in [0, 2^20]) and every option given on the line, by its
long name without dashes (``{algorithm}``, ``{run-id}``; a flag is ``True``). The original GUI's
defaults use it: ``--run-id {simcounter}_job_id_{now}``, ``--logfile
../logs/{simcounter}_log_{now}.txt``. ``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence

from .errors import ConfigError

PASSES = 5
_SIMULATIONS = itertools.count(1)


def _option_values(argv: Sequence[str]) -> dict[str, object]:
    """``{name: value}`` of the ``--name value`` pairs and ``--flag`` flags of ``argv``."""
    values: dict[str, object] = {}
    for i, token in enumerate(argv):
        if not token.startswith("--"):
            continue
        name, eq, inline = token[2:].partition("=")
        following = argv[i + 1] if i + 1 < len(argv) else None
        if eq:
            values[name] = inline
        elif following is None or following.startswith("--"):
            values[name] = True
        else:
            values[name] = following
    return values


def _option_of(argv: Sequence[str], index: int) -> str:
    """The flag that the argument at ``index`` belongs to (itself if it is one)."""
    for token in reversed(argv[:index + 1]):
        if token.startswith("-"):
            return token.split("=")[0]
    return "argument"


class _Values(dict):
    """Substitution values; a value that holds ``{name}`` itself is substituted when used."""

    def __init__(self, values: dict[str, object], depth: int = 0):
        super().__init__(values)
        self.depth = depth

    def __getitem__(self, name: str) -> object:
        value = super().__getitem__(name)
        if isinstance(value, str) and "{" in value and self.depth < PASSES:
            return value.format_map(_Values(self, self.depth + 1))
        return value


def substitute(argv: Sequence[str], counter: int | None = None) -> list[str]:
    """``argv`` with every ``{name}`` replaced; an unknown name is a ConfigError naming it."""
    if not any("{" in token for token in argv):
        return list(argv)
    values = _Values({"simcounter": next(_SIMULATIONS) if counter is None else counter,
                      "now": int(time.time()), "rnd-salt": random.randint(0, 1024 * 1024),
                      **_option_values(argv)})
    out = list(argv)
    for i, token in enumerate(argv):
        if "{" not in token:
            continue
        try:
            out[i] = token.format_map(values)
        except KeyError as e:
            raise ConfigError(
                f"{_option_of(argv, i)}: unknown substitution {{{e.args[0]}}} in {token!r}; "
                "known: simcounter, now, rnd-salt and the given options' names (e.g. "
                "{algorithm}); write {{ and }} for literal braces") from None
        except (ValueError, IndexError, AttributeError) as e:
            raise ConfigError(f"{_option_of(argv, i)}: invalid value {token!r}; {e} (braces "
                              "substitute {name}; write {{ and }} for literal braces)") from None
    return out
