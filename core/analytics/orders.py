"""Reports ordered for staff chats: by `/report` or, at the start of each month and
quarter, by the scheduler for the supervisors.

An order travels in the outbox like any message (`OutboundMessage.report`), so a crash or
a platform outage delays a report but never loses it, and the outbox's key sends each
scheduled one once. The dispatcher's side makes the report when it sends it: the figures,
the four targets as text and the files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from core.analytics.periods import Period, PeriodKind
from core.cases.calendar import WorkingCalendar
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage, ReportOrder
from core.desk.staff import Role
from core.messages import t
from core.ports import UnitOfWork

# What `/report` takes after the command, in either language; nothing means the month.
_MONTH_WORDS = frozenset({"", "month", "monthly", "月", "本月", "月报", "月度"})
_QUARTER_WORDS = frozenset({"quarter", "quarterly", "季", "季度", "本季度", "季报"})


def month_of(day: date) -> Period:
    return Period.month(day.year, day.month)


def quarter_of(day: date) -> Period:
    return Period.quarter(day.year, (day.month + 2) // 3)


def period_asked(text: str, today: date) -> Period | None:
    """The period `/report` names: the month (the default) or the quarter `today` is in,
    or one named by its label (2026-11, 2026Q4); None when the words name neither."""
    words = text.strip().lower()
    if words in _MONTH_WORDS:
        return month_of(today)
    if words in _QUARTER_WORDS:
        return quarter_of(today)
    for parse in (Period.parse_quarter, Period.parse_month):
        try:
            return parse(words)
        except ValueError:
            continue
    return None


def first_working_day(calendar: WorkingCalendar, first: date) -> date:
    """The first working day on or after `first`."""
    return first if calendar.is_working_day(first) else calendar.next_working_day(first)


def due_reports(calendar: WorkingCalendar, today: date) -> list[Period]:
    """The reports the supervisors get today: on the first working day of a month, the
    month before; on the first working day of a quarter, the quarter before as well."""
    month_start = today.replace(day=1)
    if today != first_working_day(calendar, month_start):
        return []
    last_month = month_of(month_start - timedelta(days=1))
    due = [last_month]
    if month_start.month in (1, 4, 7, 10):
        due.append(quarter_of(last_month.first))
    return due


def report_heading(language: str, order: ReportOrder, department: str | None) -> str:
    """The first line of a report's message: which period, whose cases."""
    kind = order.period.kind
    key = "report.heading.quarter" if kind is PeriodKind.QUARTER else "report.heading.month"
    if kind not in (PeriodKind.MONTH, PeriodKind.QUARTER):
        key = "report.heading.range"
    scope = department if department is not None else t(language, "desk.stats.all")
    return t(language, key, period=order.period.label, scope=scope)


async def order_scheduled_reports(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    calendar: WorkingCalendar,
    opens: time,
    now: datetime,
) -> int:
    """Queue today's monthly and quarterly reports for every supervisor's chats once the
    working day has begun (`opens`, bank time); once each however often this runs (the
    outbox keys them by period and person)."""
    local = now.astimezone(calendar.tz)
    due = due_reports(calendar, local.date())
    if not due or local.time() < opens:
        return 0
    queued = 0
    async with unit_of_work() as uow:
        for person in await uow.staff.members(None, Role.SUPERVISOR):
            addresses = await uow.staff.addresses(person.id)
            for period in due:
                order = ReportOrder(period, None, person.language)
                reply = Reply(report_heading(person.language, order, None))
                messages = [OutboundMessage(a, reply, report=order) for a in addresses]
                await uow.outbox.add(
                    messages, now=now, key=f"report:{period.label}:staff:{person.id}"
                )
                queued += len(messages)
        await uow.commit()
    return queued
