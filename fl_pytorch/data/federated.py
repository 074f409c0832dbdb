"""The federated dataset record shared by every loader and generator."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors import ConfigError


@dataclass
class FederatedDataset:
    """Training data of all clients as one tensor pair plus one index tensor per client.

    ``task`` says what the targets are, which fixes the losses and metrics that fit:
    ``regression`` (float targets), ``classification`` (int64 labels in ``[0, output_dim)``),
    ``binary`` (float labels -1/+1, one output) or ``next_token`` (int64 token sequences; targets
    equal to -100 are padding, ignored by the loss and the metrics).

    ``solution(weights, l2_alpha)`` returns the exact minimizer of ``sum_i w_i f_i + l2/2 ||x||^2``
    when the problem has a closed form (the synthetic quadratic), else it is None.
    """

    name: str
    x: torch.Tensor
    y: torch.Tensor
    client_indices: list[torch.Tensor]
    input_shape: tuple[int, ...]
    output_dim: int
    task: str = "regression"
    test_x: torch.Tensor | None = None
    test_y: torch.Tensor | None = None
    info: dict[str, Any] = field(default_factory=dict)
    solution: Callable[[torch.Tensor, float], torch.Tensor] | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # non-plain data (e.g. Hessians)

    @property
    def num_clients(self) -> int:
        return len(self.client_indices)

    def client_sizes(self) -> torch.Tensor:
        return torch.tensor([len(ix) for ix in self.client_indices], dtype=torch.float64)

    def to(self, device: torch.device, dtype: torch.dtype) -> FederatedDataset:
        """Move the data to ``device`` once; floating inputs/targets take the compute dtype."""
        def conv(t: torch.Tensor | None) -> torch.Tensor | None:
            if t is None:
                return None
            return t.to(device=device, dtype=dtype if t.is_floating_point() else t.dtype)
        return FederatedDataset(
            name=self.name, x=conv(self.x), y=conv(self.y),
            client_indices=[ix.to(device) for ix in self.client_indices],
            input_shape=self.input_shape, output_dim=self.output_dim, task=self.task,
            test_x=conv(self.test_x), test_y=conv(self.test_y), info=self.info,
            solution=self.solution, extras=self.extras)


def parse_spec(spec: str, defaults: dict[str, Any], option: str = "--dataset-generation-spec"
               ) -> dict[str, Any]:
    """Parse ``key:value,...`` against ``defaults`` (whose types the values take)."""
    values = dict(defaults)
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        key, sep, raw = part.partition(":")
        key = key.strip().lower()
        if key not in defaults:
            raise ConfigError(f"{option}: unknown key {key!r} in {spec!r}; valid keys: "
                              f"{', '.join(defaults)}")
        if not sep:
            raise ConfigError(f"{option}: key {key!r} in {spec!r} needs a value (key:value)")
        values[key] = _spec_value(option, key, raw, type(defaults[key]))
    return values


def _spec_value(option: str, key: str, raw: str, kind: type) -> Any:
    """``raw`` as a finite ``kind`` (float) or a 64-bit ``kind`` (int); ConfigError otherwise."""
    try:
        number = float(raw)
        value = kind(number) if kind is int and number.is_integer() else kind(raw)
    except (ValueError, OverflowError):
        value = None
    if kind in (int, float) and (value is None or not math.isfinite(value)
                                 or kind is int and abs(value) >= 2**63):
        expected = "a finite number" if kind is float else "an integer"
        raise ConfigError(f"{option}: invalid value {raw!r} for key {key!r}; expected "
                          f"{expected}")
    return value
