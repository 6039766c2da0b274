"""Provisional deadlines: counted again once their year's calendar arrives.

A deadline counted through a year without official calendar data is provisional (see
`core.cases.calendar`). When that year's data arrives — the admin's calendar file, or a newer
calendar library — every such deadline is counted again once, at start-up and by the
scheduler: the change is audited (`deadline_recounted`), and the customer of an open
case is told when the date moved. Until then administrators are told, at start and each
working morning, which years are missing and how many open cases wait on each.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.deadlines import recounted
from core.cases.filing import change_case_within
from core.cases.naming import type_name
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.customers.dialogue.views import deadline
from core.errors import ConcurrentUpdate
from core.messages import t
from core.ports import Alerts, UnitOfWork

ACTOR = "system:calendar"
BATCH = 200


def missing_calendar_year(year: int, waiting: int | None = None) -> str:
    """The administrators' alert: which year, how many cases, what to do."""
    cases = "" if waiting is None else f" ({waiting} open case(s) wait on it)"
    return (
        f"no official working-day calendar for {year}: deadlines counted through it are "
        f"provisional{cases}; add the year to INTAKE_CALENDAR_FILE (see calendars/README.md)"
    )


async def recount_provisional_deadlines(
    unit_of_work: Callable[[], UnitOfWork], *, calendar: WorkingCalendar, now: datetime
) -> int:
    """Count again every provisional deadline whose year the calendar now knows; returns
    how many were counted. Running it again finds nothing left to do."""
    counted = 0
    after = ""
    while True:
        start = after
        try:
            async with unit_of_work() as uow:
                cases = await uow.cases.provisional(calendar.known_years, after=after, limit=BATCH)
                if not cases:
                    return counted
                after = cases[-1].number
                done = 0
                for case in cases:
                    done += await _recount(uow, case, calendar, now)
                await uow.commit()
                counted += done
        except ConcurrentUpdate:
            # Another process (a second scheduler, a starting server) counted some of this
            # batch first: its work stands, and the batch is read again without them.
            after = start


async def _recount(uow: UnitOfWork, case: Case, calendar: WorkingCalendar, now: datetime) -> int:
    """Count one case's deadline again, if its year is known now; 1 if it was."""
    again = recounted(calendar, case)
    if again is None:
        return 0
    due, legal_due = again
    moved = due.at != case.due_at
    year = case.due_provisional_year
    await change_case_within(
        uow,
        case,
        lambda c: c.recount_deadline(
            due_at=due.at, due_basis=due.basis, legal_due_at=legal_due, actor=ACTOR, now=now
        ),
    )
    if moved and case.status.is_open:
        await _tell_customer(uow, case, year, calendar, now)
    return 1


async def _tell_customer(
    uow: UnitOfWork, case: Case, year: int | None, calendar: WorkingCalendar, now: datetime
) -> None:
    lang = await uow.dialogues.language(case.customer)
    text = t(
        lang,
        "customer.deadline_recounted",
        type=type_name(lang, case.type),
        number=case.number,
        year=year,
        due=deadline(lang, case.due_at, calendar.tz),
    )
    message = OutboundMessage(case.customer, Reply(text), case.number)
    key = f"recounted:{case.number}:{case.due_at.isoformat()}"
    await uow.outbox.add([message], now=now, key=key)


async def report_missing_years(
    unit_of_work: Callable[[], UnitOfWork], *, alerts: Alerts
) -> dict[int, int]:
    """Alert the administrators about each year without data that open cases wait on;
    returns {year: open cases}."""
    async with unit_of_work() as uow:
        waiting = await uow.cases.provisional_years()
        for year, count in sorted(waiting.items()):
            await alerts.alert_admins(missing_calendar_year(year, count), uow)
        await uow.commit()
    return waiting
