"""A worker's side of one run: build the master's simulation here, then serve its rounds.

The master sends the configuration (JSON); the worker builds its own copy of the dataset and the
model with its own devices (``--gpu`` from its ``--external-devices`` entries) and its own
executor (``--threadpool-for-local-opt``), proves with a fingerprint that it built the same
problem, joins its Gloo pair and then runs, for each ``round``, the clients it owns with the
engine's own ``run_client``. Their persistent states stay here, in a client-state store like the
engine's, until the master collects them for a checkpoint. A heartbeat thread reports the round
and the clients finished so far; the master declares the worker hung when that stops moving.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import torch

from ..config import Config
from ..core.client_state import ClientStateStore
from ..core.local import client_results, run_client
from ..engine.executors import build_executor
from ..engine.simulation import build_simulation
from ..errors import ConfigError
from ..execution.base import is_round_executor
from ..plugins import plugin_key, plugin_names
from ..utils.addresses import valid_device
from .frames import Channel, ProtocolError, expect, field
from .pairs import Pair, connect_store, recv_payload, send_message
from .protocol import (
    client_ids,
    decode_plan,
    decode_states,
    encode_results,
    encode_states,
    fingerprint,
    partial_sum,
)

#: options a worker sets itself: it runs clients, nothing else (no files, no checkpoints)
WORKER_OVERRIDES = dict(external_devices="", resume_from="", out="", checkpoint_dir="",
                        checkpoint_every=0, logfile="", quiet=True, eval_async_threads=0,
                        save_async_threads=0, log_gpu_usage=False)
MESSAGES = ("per-client", "summed")


class Progress:
    """The round being served and its clients finished so far (read by the heartbeat)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.round, self.done, self.stage = -1, 0, "setup"

    def start(self, round_index: int) -> None:
        with self._lock:
            self.round, self.done, self.stage = round_index, 0, "training"

    def step(self, clients: int = 1) -> None:
        with self._lock:
            self.done += clients

    def set_stage(self, stage: str) -> None:
        with self._lock:
            self.stage = stage

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"round": self.round, "done": self.done, "stage": self.stage}


def check_plugins_allowed(wanted: str, allowed: list[str]) -> None:
    """Refuse a run that needs a plugin this worker was not started with (no code travels)."""
    have = {plugin_key(name) for name in allowed}
    missing = [name for name in plugin_names(wanted) if plugin_key(name) not in have]
    if missing:
        raise ConfigError(f"--plugins: this worker was not started with the plugin(s) "
                          f"{', '.join(missing)}; start it with ./run.sh worker --plugins "
                          f"{','.join(plugin_names(wanted))} (the master sends names, never code)")


def worker_config(config: dict[str, Any], devices: list[str], data_path: str | None,
                  plugins: list[str] | None = None) -> Config:
    """The master's configuration as this worker runs it (its devices, no files of its own).

    Its ``--plugins`` must be among those this worker was started with (``plugins``).
    """
    check_plugins_allowed(str(config.get("plugins", "")), plugins or [])
    changes: dict[str, Any] = dict(WORKER_OVERRIDES, gpu=",".join(
        "-1" if d in ("cpu", "-1") else d.removeprefix("cuda:") for d in devices))
    if data_path:
        changes["data_path"] = data_path
    return Config.from_dict(config).replace(**changes)


class Session:
    """Serves one run on an authenticated channel whose first frame was ``setup``."""

    def __init__(self, channel: Channel, setup: dict[str, Any], data_path: str | None = None,
                 plugins: list[str] | None = None):
        self.channel = channel
        self.setup = setup
        self.data_path = data_path
        self.plugins = plugins or []
        self.progress = Progress()
        self.timeout = float(field(setup, "timeout", (int, float)))
        self.messages = setup.get("messages")
        devices = field(setup, "devices", list)
        if self.timeout <= 0 or self.messages not in MESSAGES or not devices or \
                not all(isinstance(d, str) and valid_device(d) for d in devices):
            raise ProtocolError("malformed run request (timeout, messages or devices)")
        self.devices = devices
        self._pair: Pair | None = None

    def abort(self) -> None:
        """End the run from another thread (the worker is stopping): its transfers fail now."""
        self.channel.close()
        pair = self._pair
        if pair is not None:
            pair.close(broken=True)

    def describe(self) -> str:
        """What this session is doing, for status probes."""
        p = self.progress.snapshot()
        where = f"round {p['round']}, {p['done']} client(s) done" if p["round"] >= 0 else "setup"
        return f"run for {self.channel.peer}: {p['stage']} ({where})"

    def run(self) -> None:
        """Serve the run until the master ends it; failures are raised (the server logs them)."""
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(stop,), daemon=True,
                                name="worker-heartbeat")
        beat.start()
        pair, executor, broken = None, None, True
        threads = torch.get_num_threads()
        deterministic = torch.are_deterministic_algorithms_enabled()
        try:
            try:
                config = worker_config(field(self.setup, "config", dict), self.devices,
                                       self.data_path, self.plugins)
                sim = build_simulation(config)
                executor = build_executor(sim)
                torch.set_num_threads(config.intra_op_threads)
                torch.use_deterministic_algorithms(config.deterministic)
                executor.start(sim)
            except Exception as e:  # the master names this worker with the message
                self.channel.send({"type": "error", "message": f"{type(e).__name__}: {e}"})
                raise
            self.channel.send({"type": "ready", "fingerprint": fingerprint(sim),
                               "executor": executor.describe()})
            expect(self._next(), "join", self.channel.peer)
            store_at = field(self.setup, "store", dict)
            store = connect_store(field(store_at, "host", str), field(store_at, "port", int),
                                  self.timeout)
            pair = self._pair = Pair(store, field(self.setup, "prefix", str), 1,
                                     self.channel.sock.getsockname()[0], self.timeout)
            self.progress.set_stage("idle")
            self._serve(sim, executor, pair)
            broken = False
        finally:
            stop.set()
            if executor is not None:
                executor.close()
            if pair is not None:
                pair.close(broken)
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(deterministic)
            beat.join()

    def _serve(self, sim: Any, executor: Any, pair: Pair) -> None:
        store = ClientStateStore(lambda i: sim.algorithm.init_client_state(i, sim.x0))
        while True:
            message = self._next()
            kind = message["type"]
            if kind == "end":
                return
            if kind == "round":
                self._round(message, sim, executor, store, pair)
            elif kind == "states":
                for client_id, state in decode_states(message, recv_payload(pair, message),
                                                      sim.device):
                    store.put(client_id, state)
            elif kind == "collect":
                self.progress.set_stage("sending states")
                header, tensors = encode_states(sorted(store.items()))
                send_message(self.channel, pair, header, tensors)
                self.progress.set_stage("idle")
            else:
                raise ProtocolError(f"unexpected {kind!r} from the master")

    def _round(self, header: dict[str, Any], sim: Any, executor: Any,
               store: ClientStateStore, pair: Pair) -> None:
        plan = decode_plan(header, recv_payload(pair, header), sim.device)
        clients = client_ids(header)
        self.progress.start(plan.round)

        def task(client_id: int, view: Any) -> Any:
            result = run_client(view, store, plan, client_id)
            self.progress.step()
            return result
        began = time.perf_counter()
        try:
            if is_round_executor(executor):  # the vectorized executor: batches
                results = client_results(executor.run_round(plan, clients, store))
                self.progress.step(len(results))
            else:
                results = executor.map(task, clients)
        except Exception as e:  # a hook failed: the master fails the run with this message
            self.channel.send({"type": "error", "round": plan.round,
                               "message": f"{type(e).__name__}: {e}"})
            raise
        seconds = time.perf_counter() - began
        for r in results:  # client-id order, as the engine does
            if r.new_state:
                store.put(r.client_id, {**store.get(r.client_id, sim.device), **r.new_state})
        self.progress.set_stage("sending results")
        summed = None
        if self.messages == "summed" and results:
            summed = partial_sum(results, sim.weights, client_ids(header, "participants"))
        header, tensors = encode_results(plan.round, results, summed, seconds)
        send_message(self.channel, pair, {**header, "executor": executor.describe()}, tensors)
        self.progress.set_stage("idle")

    def _next(self) -> dict[str, Any]:
        """The master's next frame other than a heartbeat; silence for the timeout ends the run."""
        while True:
            try:
                message = self.channel.recv(self.timeout)
            except TimeoutError:
                raise ProtocolError(f"the master {self.channel.peer} sent nothing for "
                                    f"{self.timeout:g} s") from None
            if message["type"] != "alive":
                return message

    def _heartbeat(self, stop: threading.Event) -> None:
        interval = heartbeat_interval(self.timeout)
        while not stop.wait(interval):
            try:
                self.channel.send({"type": "alive", **self.progress.snapshot()})
            except OSError:
                return


def heartbeat_interval(timeout: float) -> float:
    """Seconds between heartbeats: several per timeout, at most every 2 s."""
    return min(2.0, timeout / 5)
