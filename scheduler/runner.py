"""The scheduler's jobs on APScheduler 3: chase deadlines each minute, the digest (and
the alert about missing calendar years) at the start of the working day, forgetting
abandoned intakes every five minutes, the satisfaction surveys' reminders and expiry
every ten, and every ten as well the redaction of old messages and provisional
deadlines counted again once the calendar (reloaded when its file changes) knows their
year. On the first working day of a month (and of a quarter) the supervisors' reports
are ordered once the working day has begun.

Runs inside `intake serve` (INTAKE_SCHEDULER=embedded) or as its own process
(`intake scheduler`). On PostgreSQL any number may run: claims in the database keep
every alert and message single. SQLite allows one, guarded by a lock file.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, cast

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.analytics.orders import order_scheduled_reports
from core.cases.calendar import WorkingCalendar
from core.cases.provisional import recount_provisional_deadlines, report_missing_years
from core.chasing.alerts import chase_deadlines, send_daily_digest
from core.chasing.retention import forget_abandoned_intakes, redact_delivered
from core.chasing.rules import BusinessHours
from core.ports import Alerts, UnitOfWork
from core.survey.satisfaction import chase_surveys
from telemetry.jobs import Job, measured

log = logging.getLogger("scheduler")


class SchedulerRefused(RuntimeError):
    """Another scheduler already runs on this SQLite database."""


class SingleSchedulerLock:
    """An exclusive lock on a file beside the SQLite database, released when the
    process ends however it ends."""

    def __init__(self, database_file: Path) -> None:
        self._path = database_file.with_name(database_file.name + ".scheduler.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise SchedulerRefused(
                f"another scheduler already runs on this SQLite database ({self._path}); "
                "SQLite allows one — stop it, set INTAKE_SCHEDULER=off here, or use PostgreSQL"
            ) from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class SweepScheduler(AsyncIOScheduler):
    """APScheduler's asyncio scheduler, stopped without cutting a job off in the middle.

    Its own shutdown cancels the jobs that are running and returns at once. A job cut off
    while it waits on the database leaves the connection to be torn down by SQLAlchemy in
    a task of its own, after the engine has been closed; on SQLite that task can wait
    forever on aiosqlite's stopped thread, and the process then never exits. `stop` lets
    the running jobs end first.
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._in_flight: set[asyncio.Task[object]] = set()

    def tracked(self, job: Job) -> Job:
        """`job`, known to `stop` while it runs."""

        @functools.wraps(job)
        async def run() -> None:
            # APScheduler runs a coroutine job as a task of its own.
            task = cast("asyncio.Task[object]", asyncio.current_task())
            self._in_flight.add(task)
            try:
                await job()
            finally:
                self._in_flight.discard(task)

        return run

    async def stop(self, grace_s: float) -> None:
        """No new runs; the running jobs finish, or after `grace_s` are cancelled."""
        self.pause()
        running = set(self._in_flight)
        if running:
            _, late = await asyncio.wait(running, timeout=grace_s)
            for task in late:
                task.cancel()
            if late:
                log.warning(
                    "scheduler jobs cut off at stop",
                    extra={"jobs": len(late), "grace_s": grace_s},
                )
                await asyncio.wait(late, timeout=grace_s)
        self.shutdown(wait=False)


def build_scheduler(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    calendar: WorkingCalendar,
    hours: BusinessHours,
    alerts: Alerts,
    clock: Callable[[], datetime],
    after_commit: Callable[[], None],
    dialogue_idle: timedelta,
    message_retention: timedelta,
    refresh_calendar: Callable[[], object] = lambda: None,
) -> SweepScheduler:
    async def chase() -> None:
        raised = await chase_deadlines(
            unit_of_work, calendar=calendar, hours=hours, alerts=alerts, now=clock()
        )
        if raised:
            log.info("deadline alerts raised", extra={"alerts": raised})
            after_commit()

    async def digest() -> None:
        if await send_daily_digest(unit_of_work, calendar=calendar, now=clock()):
            after_commit()
        if await report_missing_years(unit_of_work, alerts=alerts):
            after_commit()

    async def reports() -> None:
        ordered = await order_scheduled_reports(
            unit_of_work, calendar=calendar, opens=hours.start, now=clock()
        )
        if ordered:
            log.info("scheduled reports ordered", extra={"messages": ordered})
            after_commit()

    async def recount() -> None:
        refresh_calendar()  # an administrator may have added a year to the calendar file
        counted = await recount_provisional_deadlines(unit_of_work, calendar=calendar, now=clock())
        if counted:
            log.info("provisional deadlines counted again", extra={"cases": counted})
            after_commit()

    async def forget() -> None:
        forgotten = await forget_abandoned_intakes(unit_of_work, idle=dialogue_idle, now=clock())
        if forgotten:
            log.info("abandoned intakes forgotten", extra={"dialogues": forgotten})

    async def redact() -> None:
        redacted = await redact_delivered(unit_of_work, kept=message_retention, now=clock())
        if redacted:
            log.info("delivered messages redacted", extra={"messages": redacted})

    async def surveys() -> None:
        reminded = await chase_surveys(unit_of_work, calendar=calendar, hours=hours, now=clock())
        if reminded:
            log.info("survey reminders queued", extra={"reminders": reminded})
            after_commit()

    scheduler = SweepScheduler(timezone=calendar.tz)
    morning = CronTrigger(hour=hours.start.hour, minute=hours.start.minute, timezone=calendar.tz)
    # (job, id, trigger, how late a missed run may still start, in seconds)
    jobs = (
        (chase, "chase", IntervalTrigger(minutes=1), 30),
        (digest, "digest", morning, 3600),
        # Every ten minutes, not once in the morning: a service started later that day
        # still orders them; the outbox's keys keep each one single.
        (reports, "reports", IntervalTrigger(minutes=10), 600),
        (forget, "retention", IntervalTrigger(minutes=5), 300),
        (surveys, "surveys", IntervalTrigger(minutes=10), 600),
        (recount, "calendar", IntervalTrigger(minutes=10), 600),
        (redact, "redaction", IntervalTrigger(minutes=10), 600),
    )
    for job, name, trigger, grace in jobs:
        # coalesce + one instance: a slow sweep is never run twice at once or caught up.
        # Counted and timed by name (`intake_scheduler_job_*`).
        scheduler.add_job(
            scheduler.tracked(measured(name, job)),
            trigger,
            id=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
        )
    return scheduler
