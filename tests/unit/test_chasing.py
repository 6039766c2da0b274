"""Chasing on the fake, with a fake clock: each deadline alert raised once, to the right
people, in business hours; and the morning digest."""

from __future__ import annotations

from datetime import timedelta

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy
from core.chasing.alerts import chase_deadlines, send_daily_digest
from core.chasing.rules import BusinessHours
from core.desk.staff import Role
from tests.factories import at, change_stored_case, draft, filed_case
from tests.fakes import InMemoryDatabase, RecordingAlerts
from tests.unit.bank import AGENT, LEAD, SUPERVISOR, chat, open_bank

HOURS = BusinessHours()


def alerts_queued(db: InMemoryDatabase) -> list[tuple[str, str, object]]:
    """(kind, chat, when queued) of every deadline alert, in order."""
    return [
        (q.key.split(":")[2], str(q.message.recipient), q.at)
        for q in db.tables.outbox
        if q.key.startswith("chase:")
    ]


async def test_each_deadline_alert_is_raised_once_to_whom_it_concerns(
    db: InMemoryDatabase, calendar: WorkingCalendar
) -> None:
    staff = open_bank(db)
    case = await filed_case(
        db.unit_of_work(),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-04-03 17:00"),  # the Friday before Qingming
    )
    alerts = RecordingAlerts()
    raised = 0
    now = at("2026-04-03 17:00")
    while now <= at("2026-04-16 18:00"):
        if now == at("2026-04-07 11:00"):
            await change_stored_case(
                db.unit_of_work(),
                case.number,
                lambda c: c.assign(
                    department="cards",
                    assignee=str(staff[AGENT].id),
                    actor=staff[LEAD].actor,
                    now=at("2026-04-07 11:00"),
                ),
            )
        raised += await chase_deadlines(
            db.unit_of_work, calendar=calendar, hours=HOURS, alerts=alerts, now=now
        )
        now += timedelta(hours=1)  # every alert falls due on the hour here

    agent, lead, supervisor = str(chat(AGENT)), str(chat(LEAD)), str(chat(SUPERVISOR))
    assert alerts_queued(db) == [
        ("unassigned", lead, at("2026-04-07 10:00")),
        ("reminder", agent, at("2026-04-08 17:00")),
        ("overdue", agent, at("2026-04-09 17:00")),
        ("overdue", lead, at("2026-04-09 17:00")),
        ("escalation", supervisor, at("2026-04-10 17:00")),
        ("legal_ceiling", supervisor, at("2026-04-15 17:00")),
    ]
    assert raised == 5  # alerts, not messages: the overdue one went to two people
    assert alerts.problems == []


async def test_an_alert_with_nobody_to_tell_reaches_the_admins(
    db: InMemoryDatabase, calendar: WorkingCalendar
) -> None:
    case = await filed_case(
        db.unit_of_work(),
        draft(),  # no departments, no staff
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-11-02 09:00"),
    )
    alerts = RecordingAlerts()
    raised = await chase_deadlines(
        db.unit_of_work, calendar=calendar, hours=HOURS, alerts=alerts, now=at("2026-11-02 12:00")
    )
    assert raised == 1 and alerts_queued(db) == []
    assert [p for p in alerts.problems if case.number in p] == alerts.problems != []


async def test_the_digest_goes_to_leads_for_their_department_and_supervisors_for_all(
    db: InMemoryDatabase, calendar: WorkingCalendar
) -> None:
    open_bank(db)
    db.add_staff("Agent only", Role.AGENT, "loans")  # agents get no digest
    for department in ("cards", "loans", "loans"):
        await filed_case(
            db.unit_of_work(),
            draft(department=department),
            calendar=calendar,
            policy=DeadlinePolicy(),
            now=at("2026-11-02 15:00"),
        )
    morning = at("2026-11-03 08:30")
    assert await send_daily_digest(db.unit_of_work, calendar=calendar, now=morning) == 2
    [for_lead] = db.sent_to(chat(LEAD))
    [for_supervisor] = db.sent_to(chat(SUPERVISOR))
    assert "Cards" in for_lead.text and "Loans" not in for_lead.text
    assert "Cards" in for_supervisor.text and "Loans" in for_supervisor.text
    assert {m.recipient for m in db.outbox} == {chat(LEAD), chat(SUPERVISOR)}
    await send_daily_digest(db.unit_of_work, calendar=calendar, now=morning)
    assert len(db.outbox) == 2  # the same morning's digest is queued once
    assert (
        await send_daily_digest(db.unit_of_work, calendar=calendar, now=at("2026-11-07 08:30")) == 0
    )
