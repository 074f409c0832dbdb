"""The thread pool: every task exactly once, per-thread contexts, failures, wait and stop."""

import collections
import concurrent.futures
import threading

import pytest

from fl_pytorch.execution import ThreadPool

TIMEOUT = 60  # seconds; only to turn a hang into a failure, never a performance assertion


def test_every_submitted_task_runs_exactly_once():
    calls = collections.Counter()
    lock = threading.Lock()

    def task(_ctx, i):
        with lock:
            calls[i] += 1
        return i * i

    with ThreadPool(4, "t") as pool:
        futures = [pool.submit(task, i) for i in range(500)]
        pool.wait_all()
        assert [f.result(timeout=TIMEOUT) for f in futures] == [i * i for i in range(500)]
    assert calls == collections.Counter(range(500))


def test_each_worker_builds_and_keeps_its_own_context():
    def init(k):
        return (k, threading.get_ident())

    with ThreadPool(3, "ctx", init) as pool:
        seen = [pool.submit(lambda ctx: (ctx, threading.get_ident())).result(timeout=TIMEOUT)
                for _ in range(60)]
        assert sorted(k for k, _ in pool.contexts) == [0, 1, 2]
    for (_, built_in), ran_in in seen:
        assert built_in == ran_in  # the context was built in the thread that uses it


def test_an_exception_surfaces_in_the_caller_and_the_pool_keeps_working():
    def task(_ctx, i):
        if i == 3:
            raise FloatingPointError(f"bad {i}")
        return i

    with ThreadPool(2, "err") as pool:
        futures = [pool.submit(task, i) for i in range(6)]
        with pytest.raises(FloatingPointError, match="bad 3"):
            futures[3].result(timeout=TIMEOUT)
        assert [f.result(timeout=TIMEOUT) for i, f in enumerate(futures) if i != 3] == \
            [0, 1, 2, 4, 5]
        assert pool.submit(task, 7).result(timeout=TIMEOUT) == 7


def test_a_worker_that_cannot_start_fails_the_constructor():
    def init(k):
        if k == 1:
            raise MemoryError("no room for the replica")
        return k

    before = threading.active_count()
    with pytest.raises(RuntimeError, match="worker 1 failed to start: MemoryError: no room"):
        ThreadPool(3, "init", init)
    assert threading.active_count() == before  # the other workers were stopped and joined


def _blocked_pool(n_queued):
    """A one-worker pool busy with a task blocked on ``go``, plus ``n_queued`` queued tasks."""
    pool, go, started = ThreadPool(1, "blk"), threading.Event(), threading.Event()
    done = []

    def blocker(_ctx):
        started.set()
        assert go.wait(TIMEOUT)
        return "blocker"

    first = pool.submit(blocker)
    assert started.wait(TIMEOUT)
    queued = [pool.submit(lambda _ctx, i=i: done.append(i)) for i in range(n_queued)]
    return pool, go, first, queued, done


def test_wait_all_blocks_until_every_task_is_done():
    pool, go, first, queued, done = _blocked_pool(5)
    waiter = threading.Thread(target=pool.wait_all)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # the blocker cannot finish before `go` is set
    go.set()
    waiter.join(TIMEOUT)
    assert not waiter.is_alive()
    assert done == [0, 1, 2, 3, 4] and first.result() == "blocker"
    pool.stop()


def test_stop_cancels_queued_tasks_lets_the_running_one_finish_and_refuses_new_ones():
    pool, go, first, queued, done = _blocked_pool(5)
    stopper = threading.Thread(target=pool.stop)
    stopper.start()
    # stop() cancels the queue before it waits for the running task
    concurrent.futures.wait(queued, timeout=TIMEOUT)
    assert all(f.cancelled() for f in queued)
    go.set()
    stopper.join(TIMEOUT)
    assert not stopper.is_alive()
    assert first.result() == "blocker" and done == []
    with pytest.raises(RuntimeError, match="stopped"):
        pool.submit(lambda _ctx: 1)
    pool.stop()  # idempotent


def test_stop_without_cancelling_runs_the_queue_first():
    pool, go, first, queued, done = _blocked_pool(4)
    go.set()
    pool.stop(cancel_pending=False)
    assert done == [0, 1, 2, 3] and not any(f.cancelled() for f in queued)
