"""The survey after a resolution, with a fake clock: one reminder after one working day
(in business hours), expiry after seven days closing the case, and the scheduler's
jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Cause, Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseStatus
from core.channel.io import Incoming, Text
from core.chasing.rules import BusinessHours
from core.customers.dialogue.state import Awaiting, Dialogue, Pending, Step
from core.identity import CustomerId, Platform
from core.survey.satisfaction import EXPIRY_ACTOR, chase_surveys
from scheduler.runner import build_scheduler
from storage.tables import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import (
    ALICE,
    at,
    conversation_service,
    desk_service,
    draft,
    filed_case,
    stored_dialogue,
)
from tests.fakes import RecordingAlerts
from tests.integration.test_deadline_chasing import AGENT, LEAD, register_staff

HOURS = BusinessHours()


async def resolved_case(engine: AsyncEngine, calendar: WorkingCalendar, when: datetime) -> str:
    """A complaint of ALICE's, resolved by the agent at `when`."""
    case = await filed_case(
        SqlUnitOfWork(engine),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=when - timedelta(hours=1),
        cause=Cause.FACILITIES,
    )
    desk = desk_service(engine, calendar)
    done = await desk.handle(
        Incoming(
            CustomerId(Platform.TELEGRAM, AGENT),
            Text(f"/resolve {case.number} The card is back at the branch."),
            Channel.PUBLIC_PLATFORM,
        ),
        when,
    )
    assert done is not None and case.number in done.replies[0].text
    return case.number


async def sweep(engine: AsyncEngine, calendar: WorkingCalendar, now: datetime) -> int:
    return await chase_surveys(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        hours=HOURS,
        now=now,
    )


async def reminders(engine: AsyncEngine) -> list[datetime]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(col(OutboxRow.created_at))
            .where(col(OutboxRow.idempotency_key).like("survey:%"))
            .order_by(col(OutboxRow.id))
        )
        return [created for (created,) in rows]


async def status(engine: AsyncEngine, number: str) -> CaseStatus:
    async with SqlUnitOfWork(engine) as uow:
        case = await uow.cases.get(number)
    assert case is not None
    return case.status


async def test_one_reminder_after_a_working_day_then_expiry_closes_the_case(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    number = await resolved_case(engine, calendar, at("2026-10-30 16:00"))  # a Friday
    # The customer moves on to something else: the reminder brings the survey back.
    async with SqlUnitOfWork(engine) as uow:
        await uow.dialogues.lock(ALICE, at("2026-10-30 16:30"))
        await uow.dialogues.save(ALICE, Dialogue())
        await uow.commit()

    now = at("2026-10-30 16:00")
    while now <= at("2026-11-06 18:00"):
        await sweep(engine, calendar, now)
        now += timedelta(minutes=30)

    # One working day after Friday 16:00 is Monday 16:00, not the weekend.
    assert [w.astimezone(calendar.tz) for w in await reminders(engine)] == [at("2026-11-02 16:00")]
    assert await status(engine, number) is CaseStatus.CLOSED
    async with SqlUnitOfWork(engine) as uow:
        last = (await uow.cases.history(number))[-1]
    assert (last.action, last.actor, last.at) == ("closed", EXPIRY_ACTOR, at("2026-11-06 16:00"))
    dialogue = await stored_dialogue(engine, ALICE)
    assert dialogue is not None and dialogue.pending is None  # the question went with it


async def test_a_reminder_due_at_night_waits_for_the_morning(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    await resolved_case(engine, calendar, at("2026-11-04 20:30"))  # a Wednesday evening
    for moment in ("2026-11-05 20:30", "2026-11-05 23:00", "2026-11-06 08:59"):
        assert await sweep(engine, calendar, at(moment)) == 0
    assert await sweep(engine, calendar, at("2026-11-06 09:00")) == 1
    assert await sweep(engine, calendar, at("2026-11-06 09:10")) == 0
    dialogue = await stored_dialogue(engine, ALICE)
    assert dialogue is not None and dialogue.pending is not None
    assert dialogue.pending.kind is Awaiting.RATING


async def test_an_answered_survey_is_not_recalled_and_a_low_rating_closes_at_expiry(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    number = await resolved_case(engine, calendar, at("2026-11-02 10:00"))
    conversation = conversation_service(engine, calendar)
    rated = await conversation.handle(
        Incoming(ALICE, Text("2"), Channel.PUBLIC_PLATFORM), at("2026-11-02 11:00")
    )
    assert "2" in rated.replies[0].text and rated.replies[0].options[0].key.endswith(":reopen")
    assert await sweep(engine, calendar, at("2026-11-03 10:00")) == 0
    assert await reminders(engine) == []
    assert await status(engine, number) is CaseStatus.RESOLVED  # the offer stands a week
    await sweep(engine, calendar, at("2026-11-09 10:00"))
    assert await status(engine, number) is CaseStatus.CLOSED


async def test_a_case_reopened_by_staff_takes_its_survey_back(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    number = await resolved_case(engine, calendar, at("2026-11-02 10:00"))
    asked = await stored_dialogue(engine, ALICE)
    assert asked is not None and asked.pending == Pending(Awaiting.RATING, number)
    desk = desk_service(engine, calendar)
    reopened = await desk.handle(
        Incoming(
            CustomerId(Platform.TELEGRAM, LEAD),
            Text(f"/reopen {number} The card was not at the branch after all."),
            Channel.PUBLIC_PLATFORM,
        ),
        at("2026-11-02 11:00"),
    )
    assert reopened is not None and await status(engine, number) is CaseStatus.REOPENED
    after = await stored_dialogue(engine, ALICE)
    assert after is not None and after.pending is None
    assert await sweep(engine, calendar, at("2026-11-03 11:00")) == 0  # nothing to recall


async def test_the_scheduler_runs_every_job(engine: AsyncEngine, calendar: WorkingCalendar) -> None:
    """Each job is registered and does its work when it fires: here the survey sweep and
    the forgetting of abandoned intakes."""
    await register_staff(engine, calendar)
    await resolved_case(engine, calendar, at("2026-11-02 10:00"))
    async with SqlUnitOfWork(engine) as uow:
        stale = CustomerId(Platform.WECHAT, "walked-away")
        await uow.dialogues.lock(stale, at("2026-11-03 09:00"))
        await uow.dialogues.save(stale, Dialogue(step=Step.NAME, name="张三"))
        await uow.commit()
    woken: list[int] = []
    scheduler = build_scheduler(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        hours=HOURS,
        alerts=RecordingAlerts(),
        clock=lambda: at("2026-11-03 10:00"),
        after_commit=lambda: woken.append(1),
        dialogue_idle=timedelta(minutes=30),
        message_retention=timedelta(days=3),
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "chase",
        "digest",
        "retention",
        "surveys",
        "calendar",
        "redaction",
        "reports",
    }
    await jobs["surveys"].func()
    assert len(await reminders(engine)) == 1 and woken == [1]
    await jobs["retention"].func()
    forgotten = await stored_dialogue(engine, stale)
    assert forgotten is not None and forgotten.name is None
