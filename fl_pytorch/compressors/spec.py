"""Compressor spec strings (the original tool's syntax): ``name[:arg[:arg]]``, e.g. ``randk:40%``.

Stages joined by ``+`` (``randk:10%+natural``) build a composition, first stage applied first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from ..errors import ConfigError
from ..registry import Registry
from .base import Compressor
from .composition import Composition

#: name -> factory(args: list[str]) -> Compressor. Factories raise ValueError on bad arguments.
COMPRESSORS: Registry[Callable[[list[str]], Compressor]] = Registry(
    "compressor", "--client-compressor")

SPEC_HELP: dict[str, str] = {}


def register_compressor(name: str, usage: str):
    """Decorator: register a factory under ``name`` with its usage text (e.g. ``randk:k|P%``)."""
    def deco(factory: Callable[[list[str]], Compressor]):
        COMPRESSORS.register(name, factory)
        SPEC_HELP[name] = usage
        return factory
    return deco


COMPOSITION_USAGE = "stage+stage[+...], each stage an unbiased compressor spec"


def parse_compressor(spec: str, option: str = "--client-compressor") -> Compressor:
    """Build the compressor a spec names; any problem is one ConfigError naming ``option``."""
    if "+" in str(spec):
        return _parse_composition(str(spec), option)
    name, *args = str(spec).strip().split(":")
    if name not in COMPRESSORS:
        err = COMPRESSORS.unknown(name)
        raise ConfigError(str(err).replace("--client-compressor", option, 1))
    try:
        comp = COMPRESSORS.get(name)(args)
    except (ValueError, IndexError) as e:
        raise ConfigError(f"{option}: invalid value {spec!r}; {e} (usage: {SPEC_HELP[name]})") \
            from None
    comp.spec = spec
    return comp


def _parse_composition(spec: str, option: str) -> Compressor:
    parts = [part.strip() for part in spec.split("+")]
    if not all(parts):
        raise ConfigError(f"{option}: invalid value {spec!r}; empty stage "
                          f"(usage: {COMPOSITION_USAGE})")
    try:
        comp = Composition([parse_compressor(part, option) for part in parts])
    except ValueError as e:
        if isinstance(e, ConfigError):
            raise ConfigError(f"{e} (in composition {spec!r})") from None
        raise ConfigError(f"{option}: invalid value {spec!r}; {e} (usage: {COMPOSITION_USAGE})") \
            from None
    comp.spec = spec
    return comp


def parse_count(arg: str, what: str) -> tuple[int | None, Fraction | None]:
    """``"8"`` -> (8, None); ``"40%"`` -> (None, 2/5). Used by rand-k, top-k, rank-k.

    As in the original tool, a count may be a decimal number (rounded up).
    """
    try:
        if arg.endswith("%"):
            frac = Fraction(arg[:-1]) / 100
            if not 0 < frac <= 1:
                raise ValueError
            return None, frac
        k = math.ceil(Fraction(arg))
        if k < 1:
            raise ValueError
        return k, None
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"{what} must be a positive number or a percentage in (0%, 100%]") \
            from None


def resolve_count(k: int | None, frac: Fraction | None, d: int) -> int:
    """The count for dimension d: k capped at d, or ``ceil(P/100 * d)``, at least 1.

    The percentage rule is the original tool's, in exact arithmetic (7% of 100 is 7, not 8).
    """
    if k is not None:
        return min(k, d)
    return max(1, min(d, math.ceil(frac * d)))


def ignored_argument(name: str, args: list[str]) -> None:
    """Accept at most one argument for a compressor that takes none.

    The original GUI appends its parameter field (``5%`` by default) to every compressor, e.g.
    ``ident:5%``; the original ignored it, and so does this tool (the run warns once).
    """
    if len(args) > 1:
        raise ValueError(f"{name} takes no arguments")
