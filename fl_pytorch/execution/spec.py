"""``--threadpool-for-local-opt`` parsed once into what the executor factory builds."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError


@dataclass(frozen=True)
class ExecutorSpec:
    """``sequential`` (0), ``pool`` (N worker threads per device), ``vectorized`` or ``auto``."""

    kind: str
    workers: int = 0


def parse_executor_spec(value: str | int) -> ExecutorSpec:
    """The executor that ``--threadpool-for-local-opt`` asks for."""
    text = str(value)
    if text in ("auto", "vectorized"):
        return ExecutorSpec(text)
    if not text.isdigit():
        raise ConfigError(f"--threadpool-for-local-opt: invalid value {text!r}; valid: auto, "
                          "vectorized or an integer >= 0 (0 = sequential)")
    return ExecutorSpec("sequential") if int(text) == 0 else ExecutorSpec("pool", int(text))
