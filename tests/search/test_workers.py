"""The training workers' pool: starting it never waits for the workers' interpreters."""

from __future__ import annotations

import pytest

from snas.search._workers import WorkerPool


def test_starting_the_pool_does_not_wait_for_the_workers_to_import_torch():
    # a payload far beyond a pipe's buffer: a blocking send would return only once the new
    # interpreter has imported snas and torch and reads it (seconds a short search lacks)
    payload = (b"x" * (8 << 20),)
    pool = WorkerPool(2, payload)
    try:
        assert all(w.sending.is_alive() for w in pool.workers)
        assert all(w.proc.poll() is None for w in pool.workers)
    finally:
        pool.close()  # the workers reject the payload and exit; closing still returns
    assert all(not w.sending.is_alive() for w in pool.workers)


def test_a_payload_that_cannot_be_pickled_is_refused_before_any_worker_starts():
    with pytest.raises(Exception, match="pickle"):
        WorkerPool(1, (lambda: 0,))  # a lambda cannot be pickled


def test_a_worker_that_died_before_its_payload_arrived_is_reported_by_the_first_call():
    pool = WorkerPool(1, (b"x" * (8 << 20),))
    try:
        pool.workers[0].proc.kill()
        with pytest.raises(RuntimeError, match="stopped unexpectedly"):
            pool.call("job")
    finally:
        pool.close()
