"""Scheduler jobs, counted and timed: each run under a request id of its own, so its log
lines and the messages it queues can be told apart and followed to their delivery."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable

from telemetry.handling import handling
from telemetry.series import JOB_DURATION, JOB_RUNS

Job = Callable[[], Awaitable[None]]


def measured(name: str, job: Job) -> Job:
    """`job`, counting its runs by result and observing how long each took."""
    ok, error = JOB_RUNS.labels(name, "ok"), JOB_RUNS.labels(name, "error")
    duration = JOB_DURATION.labels(name)

    @functools.wraps(job)
    async def run() -> None:
        started = time.perf_counter()
        with handling():
            try:
                await job()
            except Exception:
                error.inc()
                raise  # APScheduler logs it; the next run goes ahead as planned
            else:
                ok.inc()
            finally:
                duration.observe(time.perf_counter() - started)

    return run
