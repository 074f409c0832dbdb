"""What travels each round, as a JSON header plus a list of tensors (``tensors.pack``).

* ``round`` (master -> worker): the round plan (``core/local.py:RoundPlan``) and the clients of
  the round that this worker owns; CLIENT_STATE values that are not tensors (flags such as
  MARINA's coin) travel in the JSON.
* ``results`` (worker -> master): per client its counters (JSON) and its message and batch-norm
  statistics (tensors). With ``--remote-messages summed`` the worker sends one weighted sum of
  its clients' messages instead (see :func:`partial_sum`).
* ``states`` (both ways): clients' persistent states, pushed after a resume and collected for
  checkpoints.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import torch

from ..core.local import ClientResult, RoundPlan
from ..data.lazy import LazyRows
from ..data.sparse import SparseRows
from .frames import ProtocolError, field

Header = dict[str, Any]


def _json_value(key: str, value: Any) -> Any:
    """``value`` if it survives a JSON round trip unchanged; otherwise a clear error."""
    try:
        same = json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        same = False
    if not same:
        raise TypeError(f"CLIENT_STATE sends {key!r} as {type(value).__name__}; remote workers "
                        "accept tensors and JSON values (bool, int, float, str, None, lists, "
                        "dicts)")
    return value


def encode_plan(plan: RoundPlan, clients: list[int], participants: list[int]
                ) -> tuple[Header, list[torch.Tensor]]:
    """The ``round`` header and tensors for a worker that runs ``clients`` of ``participants``."""
    tensors, broadcast = [plan.x], []
    for key, value in plan.broadcast.items():
        if isinstance(value, torch.Tensor):
            broadcast.append([key, len(tensors), None])
            tensors.append(value)
        else:
            broadcast.append([key, None, _json_value(key, value)])
    if plan.buffers is not None:
        tensors.append(plan.buffers)
    header = {"type": "round", "round": plan.round, "clients": clients,
              "participants": participants, "local_lr": plan.local_lr,
              "local_steps": plan.local_steps, "broadcast": broadcast,
              "buffers": plan.buffers is not None}
    return header, tensors


def decode_plan(header: Header, tensors: list[torch.Tensor], device: torch.device) -> RoundPlan:
    """The RoundPlan of a ``round`` header (tensors moved to ``device``)."""
    tensors = [t.to(device) for t in tensors]
    broadcast = {}
    for key, index, value in broadcast_items(header):
        if index is None:
            broadcast[key] = value
        elif isinstance(index, int) and 0 < index < len(tensors):
            broadcast[key] = tensors[index]
        else:
            raise ProtocolError("broadcast entry points to no tensor")
    expected = 1 + sum(item[1] is not None for item in broadcast_items(header)) + \
        bool(header.get("buffers"))
    if len(tensors) != expected:
        raise ProtocolError(f"round plan with {len(tensors)} tensors, header says {expected}")
    steps = header.get("local_steps")
    if steps is not None and not isinstance(steps, int):
        raise ProtocolError("local_steps must be an integer or null")
    return RoundPlan(round=field(header, "round", int), x=tensors[0], broadcast=broadcast,
                     local_lr=field(header, "local_lr", (int, float)), local_steps=steps,
                     buffers=tensors[-1] if header.get("buffers") else None)


def broadcast_items(header: Header) -> list[list[Any]]:
    """The ``[key, tensor index or None, JSON value]`` entries of a ``round`` header."""
    items = field(header, "broadcast", list)
    for item in items:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str)):
            raise ProtocolError("malformed broadcast entry")
    return items


def client_ids(header: Header, name: str = "clients") -> list[int]:
    """A list of client ids from ``header`` (checked)."""
    ids = field(header, name, list)
    if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in ids):
        raise ProtocolError(f"{name} must be client ids")
    return ids


def partial_sum(results: list[ClientResult], weights: torch.Tensor, participants: list[int]
                ) -> ClientResult:
    """One worker's ``sum_i (w_i / W) m_i`` over its clients, W summing over all participants.

    The terms are the engine's (``core/aggregation.py:weighted_mean``); only where the master adds
    them up differs, so the result equals the single-process one up to float re-association.
    """
    total = sum(float(weights[i]) for i in participants)
    message: dict[str, torch.Tensor] = {}
    buffers = None
    for r in results:
        share = float(weights[r.client_id]) / total
        for key, value in r.message.items():
            message[key] = value * share if key not in message else message[key] + value * share
        if r.buffers is not None:
            buffers = r.buffers * share if buffers is None else buffers + r.buffers * share
    return ClientResult(results[0].client_id, message, {}, 0, 0, 0, buffers, summed=True)


def encode_results(round_index: int, results: list[ClientResult], summed: ClientResult | None,
                   seconds: float) -> tuple[Header, list[torch.Tensor]]:
    """The ``results`` header and tensors (per-client messages, or the worker's sum).

    ``seconds``: how long the clients' computation took (the master measures its overhead).
    """
    tensors: list[torch.Tensor] = []
    clients = []
    for r in results:
        entry = {"id": r.client_id, "bits_up": r.bits_up, "oracle_full": r.oracle_full,
                 "oracle_samples": r.oracle_samples, "state": bool(r.new_state),
                 "message": [], "buffers": False}
        if summed is None:
            entry["message"] = list(r.message)
            tensors += list(r.message.values())
            if r.buffers is not None:
                entry["buffers"] = True
                tensors.append(r.buffers)
        clients.append(entry)
    block = None
    if summed is not None:
        block = {"message": list(summed.message), "buffers": summed.buffers is not None}
        tensors += list(summed.message.values())
        if summed.buffers is not None:
            tensors.append(summed.buffers)
    return {"type": "results", "round": round_index, "clients": clients, "summed": block,
            "seconds": seconds}, tensors


def decode_results(header: Header, tensors: list[torch.Tensor], device: torch.device
                   ) -> tuple[list[ClientResult], bool]:
    """(the ClientResults of a ``results`` header in its order, whether any client has state)."""
    it = iter(t.to(device) for t in tensors)
    results, stateful = [], False
    try:
        for entry in field(header, "clients", list):
            message = {str(k): next(it) for k in field(entry, "message", list)}
            buffers = next(it) if entry.get("buffers") else None
            results.append(ClientResult(
                field(entry, "id", int), message, {}, field(entry, "bits_up", int),
                field(entry, "oracle_full", int), field(entry, "oracle_samples", int), buffers))
            stateful |= bool(entry.get("state"))
        block = header.get("summed")
        if block is not None and results:
            message = {str(k): next(it) for k in field(block, "message", list)}
            buffers = next(it) if block.get("buffers") else None
            first = results[0]
            results[0] = ClientResult(first.client_id, message, {}, first.bits_up,
                                      first.oracle_full, first.oracle_samples, buffers,
                                      summed=True)
    except StopIteration:
        raise ProtocolError("results header names more tensors than were sent") from None
    if next(it, None) is not None:
        raise ProtocolError("more tensors were sent than the results header names")
    return results, stateful


def encode_states(states: list[tuple[int, dict[str, torch.Tensor]]]
                  ) -> tuple[Header, list[torch.Tensor]]:
    """The ``states`` header and tensors for ``[(client id, state), ...]``."""
    tensors: list[torch.Tensor] = []
    for _, state in states:
        tensors += list(state.values())
    return {"type": "states", "clients": [[i, list(s)] for i, s in states]}, tensors


def decode_states(header: Header, tensors: list[torch.Tensor], device: torch.device
                  ) -> list[tuple[int, dict[str, torch.Tensor]]]:
    """``[(client id, state), ...]`` of a ``states`` header (copies, on ``device``)."""
    it = iter(tensors)
    out = []
    try:
        for item in field(header, "clients", list):
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)
                    and isinstance(item[1], list)):
                raise ProtocolError("malformed states entry")
            out.append((item[0], {str(k): next(it).to(device, copy=True) for k in item[1]}))
    except StopIteration:
        raise ProtocolError("states header names more tensors than were sent") from None
    if next(it, None) is not None:
        raise ProtocolError("more tensors were sent than the states header names")
    return out


def fingerprint(sim: Any) -> str:
    """SHA-256 of what must be identical on master and workers: x0, the data, the weights."""
    digest = hashlib.sha256()
    data = sim.dataset
    def parts(t: Any) -> Any:  # sparse and lazily read samples give their tensors in turn
        return t.tensors() if isinstance(t, (SparseRows, LazyRows)) else (t,)
    for t in (sim.x0, sim.weights, *parts(data.x), *parts(data.y), *data.client_indices):
        digest.update(f"{t.dtype}{tuple(t.shape)}".encode())
        digest.update(t.detach().contiguous().cpu().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()
