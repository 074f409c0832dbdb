"""Executors on top of the pool: per-device pools, auto choice, factory, ordered evaluation,
deferred Ctrl-C."""

import signal
import threading

import pytest
import torch

from fl_pytorch import ConfigError
from fl_pytorch.engine.executors import build_executor
from fl_pytorch.engine.simulation import build_simulation
from fl_pytorch.execution import (
    AutoExecutor,
    ClientTaskError,
    DevicePoolExecutor,
    SequentialExecutor,
    factory,
)
from fl_pytorch.execution.evaluation import EvalPipeline
from fl_pytorch.execution.interrupts import InterruptGuard
from fl_pytorch.vectorized import VectorizedExecutor

TIMEOUT = 60


@pytest.fixture
def sim(quad_config):
    return build_simulation(quad_config(rounds=2))


def test_device_pools_return_client_order_with_one_replica_per_thread(sim):
    executor = DevicePoolExecutor([torch.device("cpu"), torch.device("cpu")], 2,
                                  intra_op_threads=1)
    executor.start(sim)
    try:
        ids = [9, 2, 7, 4, 0, 5, 8, 1]

        def task(i, view):
            return (i, threading.current_thread().name, id(view.oracle),
                    id(view.oracle.module), torch.get_num_threads())
        for _ in range(3):
            out = executor.map(task, ids)
            assert [r[0] for r in out] == ids
    finally:
        executor.close()
    replicas_by_thread = {}
    for pos, (_, thread, oracle, module, threads) in enumerate(out):
        assert f"-{pos % 2}-" in thread  # round-robin over the two pools by position
        replicas_by_thread.setdefault(thread, set()).add((oracle, module))
        assert threads == 1  # the worker's own PyTorch thread count
    assert all(len(r) == 1 for r in replicas_by_thread.values())
    all_replicas = set().union(*replicas_by_thread.values())
    assert len(all_replicas) == len(replicas_by_thread)
    assert (id(sim.oracle), id(sim.oracle.module)) not in all_replicas


def test_a_failing_client_is_named_in_the_main_thread_and_the_round_ends(sim):
    executor = DevicePoolExecutor([torch.device("cpu")], 3)
    executor.start(sim)
    running, lock = [0], threading.Lock()

    def task(i, view):
        with lock:
            running[0] += 1
        try:
            if i == 7:
                raise ValueError("diverged")
            return i
        finally:
            with lock:
                running[0] -= 1
    try:
        with pytest.raises(ClientTaskError, match=r"client 7 on cpu: ValueError: diverged"):
            executor.map(task, list(range(10)))
        assert running[0] == 0  # nothing of the failed round is still running
        assert executor.map(task, [1, 2]) == [1, 2]  # the pools survive
    finally:
        executor.close()


class _FakeExecutor:
    """Takes ``cost`` fake seconds per client on the shared fake clock."""

    def __init__(self, name, cost, clock):
        self.name, self.cost, self.clock, self.closed, self.calls = name, cost, clock, False, 0

    def start(self, sim):
        pass

    def map(self, task, ids):
        self.calls += 1
        self.clock[0] += self.cost * len(ids)
        return [task(i, None) for i in ids]

    def close(self):
        self.closed = True

    def describe(self):
        return self.name


@pytest.mark.parametrize("slow_first", [True, False])
def test_auto_keeps_the_faster_candidate_and_closes_the_other(slow_first):
    clock = [0.0]
    slow, fast = _FakeExecutor("slow", 3.0, clock), _FakeExecutor("fast", 1.0, clock)
    auto = AutoExecutor([slow, fast] if slow_first else [fast, slow], trials=2,
                        clock=lambda: clock[0])
    auto.start(None)
    for _ in range(10):
        assert auto.map(lambda i, _: 2 * i, [1, 2, 3]) == [2, 4, 6]
    assert auto.chosen is fast and slow.closed and not fast.closed
    assert slow.calls == 3 and fast.calls == 7  # warm-up + 2 trials each, then only `fast`
    assert auto.seconds_per_client == ([3.0, 1.0] if slow_first else [1.0, 3.0])
    assert auto.describe() == "auto -> fast"


def test_build_executor_follows_the_option(quad_config, monkeypatch):
    def build_executor_of(config):
        return build_executor(build_simulation(config))
    assert isinstance(build_executor_of(quad_config(threadpool_for_local_opt="0")),
                      SequentialExecutor)
    pools = build_executor_of(quad_config(threadpool_for_local_opt="3", gpu="-1,-1"))
    assert isinstance(pools, DevicePoolExecutor)
    assert (pools.workers_per_device, len(pools.devices)) == (3, 2)
    assert isinstance(build_executor_of(quad_config()), VectorizedExecutor)  # closed form
    per_client = dict(algorithm="gradskip")  # its LOCAL_GRADIENT is not batchable
    monkeypatch.setattr(factory, "cpu_cores", lambda: 1)
    assert isinstance(build_executor_of(quad_config(**per_client)),
                      SequentialExecutor)  # one core: no pool
    monkeypatch.setattr(factory, "cpu_cores", lambda: 8)
    auto = build_executor_of(quad_config(intra_op_threads=2, **per_client))
    assert isinstance(auto, AutoExecutor)
    assert auto.candidates[1].workers_per_device == 4  # 8 cores / 2 threads per worker


def test_bad_thread_count_is_a_config_error(quad_config):
    with pytest.raises(ConfigError, match=r"--threadpool-for-local-opt: invalid value 'many'.*"
                                          r"auto, vectorized or an integer >= 0"):
        quad_config(threadpool_for_local_opt="many").validate()


def test_rows_leave_in_round_order_when_evaluations_finish_out_of_order(sim):
    first_may_finish = threading.Event()

    def make_evaluate(view):
        def evaluate(x):
            if float(x[0]) == 1.0:  # round 1 waits until round 2 has been evaluated
                assert first_may_finish.wait(TIMEOUT)
            else:
                first_may_finish.set()
            return {"loss": float(x[0]) * 10}
        return evaluate

    emitted = []
    pipeline = EvalPipeline(sim, make_evaluate, emitted.append, threads=2, intra_op_threads=1)
    try:
        x = torch.zeros(sim.dim, dtype=sim.dtype)
        for t in (1, 2, 3):
            x[0] = t
            pipeline.add({"round": t}, x if t != 3 else None)  # x is copied: changes are safe
        pipeline.flush()
    finally:
        pipeline.close()
    assert emitted == [{"round": 1, "loss": 10.0}, {"round": 2, "loss": 20.0}, {"round": 3}]


def test_first_ctrl_c_waits_for_the_round_boundary_second_one_stops_at_once():
    guard = InterruptGuard()
    guard.install()
    try:
        signal.raise_signal(signal.SIGINT)  # deferred: no exception here
        with pytest.raises(KeyboardInterrupt):
            guard.boundary()
        guard.boundary()  # nothing pending any more
        signal.raise_signal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert guard.forced
    finally:
        guard.uninstall()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
