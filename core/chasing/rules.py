"""Chasing deadlines: which alerts a case is due for, and business hours.

Each step goes out once per case and deadline (a postponed deadline is chased afresh):
- a reminder to the assignee when one working day is left;
- at the deadline, an overdue alert to the assignee and the department's leads;
- one working day past it, an escalation to the supervisors;
- a case nobody took for two working hours: the department's leads;
- three calendar days before the legal ceiling: the supervisors.
Alerts go out only on working days within business hours; one that falls due at night
or on a holiday waits for the next working morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case

UNASSIGNED_AFTER = timedelta(hours=2)  # of working time
LEGAL_WARNING = timedelta(days=3)


class AlertKind(StrEnum):
    REMINDER = "reminder"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    UNASSIGNED = "unassigned"
    LEGAL_CEILING = "legal_ceiling"


@dataclass(frozen=True, slots=True)
class BusinessHours:
    start: time = time(9, 0)
    end: time = time(18, 0)

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """'09:00-18:00'."""
        begin, _, finish = text.partition("-")
        hours = cls(time.fromisoformat(begin.strip()), time.fromisoformat(finish.strip()))
        if hours.start >= hours.end:
            raise ValueError(f"business hours must start before they end: {text!r}")
        return hours

    def is_open(self, calendar: WorkingCalendar, moment: datetime) -> bool:
        local = moment.astimezone(calendar.tz)
        return calendar.is_working_day(local.date()) and self.start <= local.time() < self.end

    def working_time(self, calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls within business hours on working days."""
        total = timedelta(0)
        first, last = start.astimezone(calendar.tz), end.astimezone(calendar.tz)
        day = first.date()
        while day <= last.date():
            if calendar.is_working_day(day):
                opens = datetime.combine(day, self.start, calendar.tz)
                closes = datetime.combine(day, self.end, calendar.tz)
                overlap = min(closes, last) - max(opens, first)
                total += max(overlap, timedelta(0))
            day += timedelta(days=1)
        return total


@dataclass(frozen=True, slots=True)
class DueAlert:
    kind: AlertKind
    deadline: datetime  # what it is about; with the kind, it makes the alert unique


def due_alerts(
    case: Case, now: datetime, calendar: WorkingCalendar, hours: BusinessHours
) -> list[DueAlert]:
    """The alerts the case is due for at `now` (whether already sent is not known here)."""
    if not case.status.is_open:
        return []
    alerts = []
    if now >= case.due_at:
        alerts.append(DueAlert(AlertKind.OVERDUE, case.due_at))
        if now >= calendar.add_working_days(case.due_at, 1):
            alerts.append(DueAlert(AlertKind.ESCALATION, case.due_at))
    elif calendar.add_working_days(now, 1) >= case.due_at:
        alerts.append(DueAlert(AlertKind.REMINDER, case.due_at))
    if case.assignee is None and (
        hours.working_time(calendar, case.received_at, now) >= UNASSIGNED_AFTER
    ):
        alerts.append(DueAlert(AlertKind.UNASSIGNED, case.received_at))
    if now >= case.legal_due_at - LEGAL_WARNING:
        alerts.append(DueAlert(AlertKind.LEGAL_CEILING, case.legal_due_at))
    return alerts


def next_alert_at(
    case: Case, now: datetime, calendar: WorkingCalendar, hours: BusinessHours
) -> datetime | None:
    """The first moment after `now` at which the case, left as it is, falls due for an
    alert it is not due for at `now`; None when no further alert can come.

    The sweep reads a case again only then: it has claimed every alert due at `now`, and
    any change to the case (a new deadline, an assignee, a status) makes it look sooner.
    Business hours are left out on purpose: an alert due at night waits for the first
    sweep of the morning, which finds the case due then.
    """
    if not case.status.is_open:
        return None
    moments = [
        case.due_at,  # overdue
        calendar.add_working_days(case.due_at, 1),  # escalation
        case.legal_due_at - LEGAL_WARNING,
    ]
    if now < case.due_at:
        moments.append(_reminder_from(case.due_at, calendar))
    if case.assignee is None:
        moments.append(_unassigned_from(case.received_at, calendar, hours))
    return min((m for m in moments if m > now), default=None)


def _reminder_from(due_at: datetime, calendar: WorkingCalendar) -> datetime:
    """The first moment one working day from which reaches `due_at`: the reminder's
    condition in `due_alerts`, solved for `now`."""
    local = due_at.astimezone(calendar.tz)
    day = local.date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    # From the last working day before the due date on, the next working day is the due
    # date or later. On that day itself, the same time of day as the deadline reaches it;
    # a deadline on a day off is reached from the day's very start.
    if calendar.next_working_day(day) == local.date():
        return datetime.combine(day, local.timetz())
    return datetime.combine(day, time(0), calendar.tz)


def _unassigned_from(
    received_at: datetime, calendar: WorkingCalendar, hours: BusinessHours
) -> datetime:
    """The moment the case has waited `UNASSIGNED_AFTER` of working time."""
    first = received_at.astimezone(calendar.tz)
    left, day = UNASSIGNED_AFTER, first.date()
    while True:
        if calendar.is_working_day(day):
            opens = max(datetime.combine(day, hours.start, calendar.tz), first)
            closes = datetime.combine(day, hours.end, calendar.tz)
            if closes - opens >= left:
                return opens + left
            left -= max(closes - opens, timedelta(0))
        day += timedelta(days=1)
