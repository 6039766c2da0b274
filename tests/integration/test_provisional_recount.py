"""Provisional deadlines with a fake clock: chased like any other, named in the digest
and to the admins while their year is missing, counted again by the scheduler once the
calendar file brings the year, and only once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import SHANGHAI, WorkingCalendar
from core.cases.case import Case
from core.cases.deadlines import DeadlinePolicy
from core.cases.provisional import recount_provisional_deadlines, report_missing_years
from core.chasing.alerts import send_daily_digest
from intake.calendar_source import CalendarFileWatch, load_calendar
from scheduler.runner import build_scheduler
from storage.tables import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import SAMPLE_CALENDAR
from tests.factories import ALICE, at, draft, filed_case
from tests.fakes import RecordingAlerts
from tests.integration.test_deadline_chasing import HOURS, LEAD, alerts_sent, chase, register_staff


async def file_at_year_end(engine: AsyncEngine, calendar: WorkingCalendar) -> Case:
    return await filed_case(
        SqlUnitOfWork(engine),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-12-29 10:00"),
    )


async def outbox(engine: AsyncEngine, like: str) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(col(OutboxRow.address), col(OutboxRow.payload))
            .where(col(OutboxRow.idempotency_key).like(like))
            .order_by(col(OutboxRow.id))
        )
        return [(address, payload["text"]) for address, payload in rows]


async def test_a_provisional_deadline_is_chased_like_any_other(engine: AsyncEngine) -> None:
    calendar = load_calendar(None, SHANGHAI)
    await register_staff(engine, calendar)
    case = await file_at_year_end(engine, calendar)
    assert case.due_provisional_year == 2027
    # Thursday 31 December, one working day before the provisional 1 January deadline.
    assert await chase(engine, calendar, at("2026-12-31 10:00")) >= 1
    # Friday 1 January counts as a working day until 2027 is known: overdue is raised.
    assert await chase(engine, calendar, at("2027-01-01 10:05")) >= 1
    kinds = {kind for kind, _, _ in await alerts_sent(engine)}
    assert {"reminder", "overdue"} <= kinds
    reminder = await outbox(engine, "chase:%:reminder:%")
    assert "暂定" in reminder[0][1]


async def test_the_digest_and_the_admins_name_the_missing_year(engine: AsyncEngine) -> None:
    calendar = load_calendar(None, SHANGHAI)
    await register_staff(engine, calendar)
    await file_at_year_end(engine, calendar)
    await send_daily_digest(
        lambda: SqlUnitOfWork(engine), calendar=calendar, now=at("2026-12-30 09:00")
    )
    digests = dict(await outbox(engine, "digest:%"))
    assert "尚无2027年官方工作日日历：1 件未办结案件的办理时限为暂定" in digests[LEAD]
    alerts = RecordingAlerts()
    assert await report_missing_years(lambda: SqlUnitOfWork(engine), alerts=alerts) == {2027: 1}
    assert alerts.problems == [
        "no official working-day calendar for 2027: deadlines counted through it are "
        "provisional (1 open case(s) wait on it); add the year to INTAKE_CALENDAR_FILE "
        "(see calendars/README.md)"
    ]


async def test_the_scheduler_counts_again_once_the_file_brings_the_year(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    path = tmp_path / "calendar.toml"
    calendar = load_calendar(None, SHANGHAI)  # the file is written later
    await register_staff(engine, calendar)
    case = await file_at_year_end(engine, calendar)
    woken: list[int] = []
    scheduler = build_scheduler(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        hours=HOURS,
        alerts=RecordingAlerts(),
        clock=lambda: at("2026-12-30 11:00"),
        after_commit=lambda: woken.append(1),
        dialogue_idle=timedelta(minutes=30),
        message_retention=timedelta(days=3),
        refresh_calendar=CalendarFileWatch(calendar, path).refresh,
    )
    job = {j.id: j for j in scheduler.get_jobs()}["calendar"]
    await job.func()  # no file yet: nothing to count
    assert woken == [] and await outbox(engine, "recounted:%") == []

    path.write_text(SAMPLE_CALENDAR.read_text(encoding="utf-8"), encoding="utf-8")
    await job.func()
    await job.func()  # a second run (or a second scheduler) finds nothing left
    assert woken == [1]
    async with SqlUnitOfWork(engine) as uow:
        stored = await uow.cases.get(case.number)
        history = await uow.cases.history(case.number)
    assert stored is not None and stored.due_provisional_year is None
    assert stored.due_at == at("2027-01-04 10:00")  # 1-3 January are holidays in the file
    assert [e.action for e in history].count("deadline_recounted") == 1
    told = await outbox(engine, "recounted:%")
    assert len(told) == 1 and told[0][0] == ALICE.user_id
    assert "2027年1月4日 10:00" in told[0][1]
    # Nothing moves when a recount keeps the date: counting again from the same start.
    assert (
        await recount_provisional_deadlines(
            lambda: SqlUnitOfWork(engine), calendar=calendar, now=at("2026-12-30 11:05")
        )
        == 0
    )


async def test_two_processes_counting_at_once_count_each_case_once(
    engine: AsyncEngine, calendar_2027: WorkingCalendar
) -> None:
    calendar = load_calendar(None, SHANGHAI)
    await register_staff(engine, calendar)
    numbers = [(await file_at_year_end(engine, calendar)).number for _ in range(5)]
    counted = await asyncio.gather(
        *(
            recount_provisional_deadlines(
                lambda: SqlUnitOfWork(engine), calendar=calendar_2027, now=at("2026-12-30 11:00")
            )
            for _ in range(2)
        )
    )
    assert sum(counted) == 5
    async with SqlUnitOfWork(engine) as uow:
        for number in numbers:
            history = await uow.cases.history(number)
            assert [e.action for e in history].count("deadline_recounted") == 1
    assert len(await outbox(engine, "recounted:%")) == 5
