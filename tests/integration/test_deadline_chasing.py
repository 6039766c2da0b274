"""Chasing deadlines with a fake clock, and two schedulers sweeping at once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseType
from core.channel.io import Incoming, Text
from core.chasing.alerts import chase_deadlines, send_daily_digest
from core.chasing.rules import BusinessHours
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from intake import admin
from storage.database import create_engine
from storage.tables import CaseAlertRow, CaseRow, OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import at, change_stored_case, desk_service, draft, filed_case
from tests.fakes import RecordingAlerts

HOURS = BusinessHours()
AGENT, LEAD, SUPERVISOR = "8001", "8002", "8003"


async def register_staff(engine: AsyncEngine, calendar: WorkingCalendar) -> None:
    uow = SqlUnitOfWork(engine)
    await admin.save_department(uow, code="cards", name="Cards", business=[], default=True)
    await admin.save_department(uow, code="hq", name="Feedback team", business=[], default=False)
    desk = desk_service(engine, calendar)
    for user, department, role in (
        (AGENT, "cards", Role.AGENT),
        (LEAD, "cards", Role.LEAD),
        (SUPERVISOR, "hq", Role.SUPERVISOR),
    ):
        code, _ = await admin.invite(
            uow, name=user, role=role, department=department, now=at("2026-04-01 09:00")
        )
        registered = await desk.handle(
            Incoming(
                CustomerId(Platform.TELEGRAM, user),
                Text(f"/register {code}"),
                Channel.PUBLIC_PLATFORM,
            ),
            at("2026-04-01 09:00"),
        )
        assert registered is not None


async def chase(engine: AsyncEngine, calendar: WorkingCalendar, now: datetime) -> int:
    """One sweep, as the scheduler runs it each minute."""
    return await chase_deadlines(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        hours=HOURS,
        alerts=RecordingAlerts(),
        now=now,
    )


async def alerts_sent(engine: AsyncEngine) -> list[tuple[str, str, datetime]]:
    """(kind, recipient, when queued) of every deadline alert in the outbox."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                col(OutboxRow.idempotency_key), col(OutboxRow.address), col(OutboxRow.created_at)
            )
            .where(col(OutboxRow.idempotency_key).like("chase:%"))
            .order_by(col(OutboxRow.id))
        )
        return [(key.split(":")[2], address, created) for key, address, created in rows]


async def test_a_complaint_filed_on_the_friday_before_qingming(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    case = await filed_case(
        SqlUnitOfWork(engine),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-04-03 17:00"),
    )
    assert case.due_at == at("2026-04-09 17:00")  # 4-6 April off: Tue, Wed, Thu
    now = at("2026-04-03 17:00")
    while now <= at("2026-04-16 18:00"):
        if now == at("2026-04-07 11:00"):
            await change_stored_case(
                SqlUnitOfWork(engine),
                case.number,
                lambda c: c.assign(
                    department="cards", assignee="1", actor="staff:2", now=at("2026-04-07 11:00")
                ),
            )
        await chase(engine, calendar, now)
        now += timedelta(minutes=30)

    sent = await alerts_sent(engine)
    assert [(kind, to, when.astimezone(calendar.tz)) for kind, to, when in sent] == [
        # Two working hours unassigned: Friday 17-18, then Tuesday 9-10 (Mon is a holiday).
        ("unassigned", LEAD, at("2026-04-07 10:00")),
        ("reminder", AGENT, at("2026-04-08 17:00")),  # one working day left
        ("overdue", AGENT, at("2026-04-09 17:00")),
        ("overdue", LEAD, at("2026-04-09 17:00")),
        ("escalation", SUPERVISOR, at("2026-04-10 17:00")),
        ("legal_ceiling", SUPERVISOR, at("2026-04-15 17:00")),  # 3 days before 18 April
    ]
    for _, _, when in sent:  # never at night, never on a day off
        local = when.astimezone(calendar.tz)
        assert calendar.is_working_day(local.date()) and 9 <= local.hour < 18


async def test_a_due_alert_waits_for_the_working_morning(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    case = await filed_case(
        SqlUnitOfWork(engine),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-03-31 20:00"),
    )  # due Friday 3 April 20:00
    assert case.due_at == at("2026-04-03 20:00")
    for moment in ("2026-04-03 20:00", "2026-04-04 10:00", "2026-04-06 23:00"):
        await chase(engine, calendar, at(moment))
    assert [k for k, _, _ in await alerts_sent(engine) if k == "overdue"] == []
    await chase(engine, calendar, at("2026-04-07 09:00"))
    assert [to for k, to, _ in await alerts_sent(engine) if k == "overdue"] == [LEAD]


async def test_the_morning_digest(engine: AsyncEngine, calendar: WorkingCalendar) -> None:
    await register_staff(engine, calendar)
    for when in ("2026-04-01 10:00", "2026-04-02 10:00"):
        await filed_case(
            SqlUnitOfWork(engine),
            draft(department="cards"),
            calendar=calendar,
            policy=DeadlinePolicy(),
            now=at(when),
        )
    digest = lambda when: send_daily_digest(  # noqa: E731
        lambda: SqlUnitOfWork(engine), calendar=calendar, now=at(when)
    )
    assert await digest("2026-04-04 09:00") == 0  # Saturday, Qingming weekend
    assert await digest("2026-04-07 09:00") == 2  # the lead and the supervisor
    assert await digest("2026-04-07 09:00") == 2  # a second scheduler: queued once only
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(col(OutboxRow.address), col(OutboxRow.payload))
                .where(col(OutboxRow.idempotency_key).like("digest:%"))
                .order_by(OutboxRow.address)
            )
        ).all()
    assert [address for address, _ in rows] == [LEAD, SUPERVISOR]
    # Filed 1 and 2 April: due 7 April 10:00 (today) and 8 April; nothing overdue yet.
    assert "Cards：新增 0，未办结 2，今日到期 1，已超期 0" in rows[0][1]["text"]


@pytest.mark.slow
async def test_two_schedulers_sweep_ten_thousand_cases_once(
    engine: AsyncEngine, calendar: WorkingCalendar, tmp_path: Path
) -> None:
    await register_staff(engine, calendar)
    received = at("2026-04-01 09:00")
    base = {
        "type": CaseType.COMPLAINT.value,
        "status": "assigned",
        "priority": "normal",
        "customer_platform": "telegram",
        "customer_user_id": "1001",
        "intake_channel": "telegram",
        "channel": Channel.PUBLIC_PLATFORM.value,
        "business_type": "debit_card",
        "tags": [],
        "description": "-",
        "attachments": [],
        "department": "cards",
        "assignee": "1",
        "received_at": received,
        "chase_at": received,  # what storing the case through the repository sets
        "due_at": at("2026-04-03 09:00"),
        "original_due_at": at("2026-04-03 09:00"),
        "legal_due_at": received + timedelta(days=15),
        "extensions": [],
        "version": 0,
    }
    async with engine.begin() as conn:
        for start in range(0, 10_000, 2_000):
            await conn.execute(
                insert(CaseRow),
                [{**base, "number": f"CP-20260401-{n:05d}"} for n in range(start, start + 2_000)],
            )
    other = create_engine(database_url(tmp_path))
    try:
        raised = await asyncio.gather(
            *(chase(e, calendar, at("2026-04-03 10:00")) for e in (engine, other))
        )
    finally:
        await other.dispose()
    assert sum(raised) == 10_000  # each case's overdue alert, by one scheduler or the other
    async with engine.connect() as conn:
        alerts = await conn.scalar(select(func.count()).select_from(CaseAlertRow))
        queued = await conn.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(col(OutboxRow.idempotency_key).like("chase:%"))
        )
        keys = await conn.scalar(select(func.count(func.distinct(OutboxRow.idempotency_key))))
    assert alerts == 10_000
    assert queued == 20_000 == keys  # overdue: to the assignee and the lead, once each
