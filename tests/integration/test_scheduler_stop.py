"""Stopping the scheduler lets a running job end before the database is closed.

APScheduler's own shutdown cancels a running job and returns at once; a job cut off
while it waits on the database left, on SQLite, a task that never ended, and
`intake serve` never exited after SIGTERM. Both databases.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import SHANGHAI
from scheduler.runner import SweepScheduler
from telemetry.jobs import Job


def _others() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]


def _running(job: Job) -> SweepScheduler:
    """A started scheduler with `job` due at once, as the service's jobs are tracked."""
    scheduler = SweepScheduler(timezone=SHANGHAI)
    scheduler.add_job(scheduler.tracked(job), id="job")
    scheduler.start()
    return scheduler


async def test_a_job_in_the_middle_of_a_transaction_finishes_before_stop_returns(
    engine: AsyncEngine,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    steps: list[str] = []

    async def job() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            steps.append("first statement")
            started.set()
            await release.wait()
            await conn.execute(text("SELECT 2"))
            steps.append("second statement")

    scheduler = _running(job)
    await started.wait()
    stopping = asyncio.create_task(scheduler.stop(grace_s=30))
    await asyncio.wait([stopping], timeout=0)  # one turn of the loop: stop has begun
    assert not stopping.done()
    release.set()
    await stopping
    assert steps == ["first statement", "second statement"]
    assert not scheduler.running
    await engine.dispose()
    assert _others() == []


async def test_a_job_that_overstays_the_grace_is_cancelled_and_stop_still_returns(
    engine: AsyncEngine,
) -> None:
    started, never = asyncio.Event(), asyncio.Event()
    outcome: list[str] = []

    async def job() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            started.set()
            try:
                await never.wait()
            except asyncio.CancelledError:
                outcome.append("cancelled")
                raise

    scheduler = _running(job)
    await started.wait()
    await asyncio.wait_for(scheduler.stop(grace_s=0.05), timeout=10)
    assert outcome == ["cancelled"]
    await engine.dispose()
    assert _others() == []


async def test_stopping_with_no_job_running_returns_at_once(engine: AsyncEngine) -> None:
    scheduler = SweepScheduler(timezone=SHANGHAI)
    scheduler.start()
    await asyncio.wait_for(scheduler.stop(grace_s=30), timeout=1)
    assert not scheduler.running
