"""The scheduler's work, as services: chase deadlines, send the daily digest.

They run in any number of scheduler processes at once: an alert is claimed (inserted
once) in the same transaction that queues its messages, and the digest's messages carry
an idempotency key per day and person, so nothing goes out twice. The deadline sweep
reads only the cases whose next alert may have come (`core.chasing.watch`) and, having
claimed what is due, sets when each is to be read again: its cost follows the alerts to
raise and the cases changed since, not the number of open cases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.naming import type_name
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.chasing.rules import AlertKind, BusinessHours, due_alerts, next_alert_at
from core.chasing.watch import Place
from core.desk.notify import tell_staff
from core.desk.staff import ChatAddress, Role, StaffMember
from core.desk.taking import view_button
from core.desk.views import due_when
from core.messages import DEFAULT_LANGUAGE, day, moment, t
from core.ports import Alerts, UnitOfWork
from core.queries import DailyFigures

BATCH = 500


async def chase_deadlines(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    calendar: WorkingCalendar,
    hours: BusinessHours,
    alerts: Alerts,
    now: datetime,
) -> int:
    """Queue the deadline alerts that are due; returns how many alerts were raised."""
    if not hours.is_open(calendar, now):
        return 0  # nothing at night or on days off: it waits for the next working morning
    raised = 0
    after: Place | None = None
    people = _People()
    while True:
        async with unit_of_work() as uow:
            batch = await uow.cases.alerts_due(now, after=after, limit=BATCH)
            if not batch:
                return raised
            after = batch[-1][0]
            cases = [case for _, case in batch]
            raised += await _raise_alerts(uow, cases, calendar, hours, alerts, people, now)
            # Every alert due now is claimed (here or before): read each case again at
            # its next alert, in the transaction that claimed these.
            await uow.cases.look_again(
                [(case, next_alert_at(case, now, calendar, hours)) for case in cases]
            )
            await uow.commit()


async def _raise_alerts(
    uow: UnitOfWork,
    cases: list[Case],
    calendar: WorkingCalendar,
    hours: BusinessHours,
    alerts: Alerts,
    people: _People,
    now: datetime,
) -> int:
    """Claim the due alerts of a batch in one go; queue messages for the new ones."""
    due = [(case, alert) for case in cases for alert in due_alerts(case, now, calendar, hours)]
    claimed = await uow.case_alerts.claim(
        [(c.number, a.kind.value, a.deadline) for c, a in due], now
    )
    for case, alert in due:
        if (case.number, alert.kind.value) not in claimed:
            continue  # raised before, by this scheduler or another
        messages = await tell_staff(
            uow,
            await people.to_tell(uow, case, alert.kind),
            _alert(case, alert.kind, calendar),
            case.number,
            addresses=partial(people.addresses, uow),
        )
        if not messages:
            await alerts.alert_admins(
                f"nobody to tell about {alert.kind.value} of {case.number}: register staff", uow
            )
        key = f"chase:{case.number}:{alert.kind.value}:{alert.deadline.isoformat()}"
        await uow.outbox.add(messages, now=now, key=key)
    return len(claimed)


class _People:
    """Who hears about what, looked up once per sweep."""

    def __init__(self) -> None:
        self._members: dict[tuple[str | None, Role], list[StaffMember]] = {}
        self._staff: dict[int, StaffMember | None] = {}
        self._addresses: dict[int, list[ChatAddress]] = {}

    async def to_tell(self, uow: UnitOfWork, case: Case, kind: AlertKind) -> list[StaffMember]:
        supervisors = await self._of(uow, None, Role.SUPERVISOR)
        if kind in (AlertKind.ESCALATION, AlertKind.LEGAL_CEILING):
            return supervisors
        leads = await self._of(uow, case.department, Role.LEAD) if case.department else []
        assignee = await self._one(uow, int(case.assignee)) if case.assignee else None
        handler = [assignee] if assignee is not None and assignee.active else []
        if kind is AlertKind.REMINDER:
            chosen = handler or leads
        elif kind is AlertKind.OVERDUE:
            chosen = handler + [lead for lead in leads if lead not in handler]
        else:  # UNASSIGNED
            chosen = leads
        return chosen or supervisors

    async def addresses(self, uow: UnitOfWork, person: StaffMember) -> list[ChatAddress]:
        if person.id not in self._addresses:
            self._addresses[person.id] = await uow.staff.addresses(person.id)
        return self._addresses[person.id]

    async def _of(self, uow: UnitOfWork, department: str | None, role: Role) -> list[StaffMember]:
        if (department, role) not in self._members:
            self._members[department, role] = await uow.staff.members(department, role)
        return self._members[department, role]

    async def _one(self, uow: UnitOfWork, staff_id: int) -> StaffMember | None:
        if staff_id not in self._staff:
            self._staff[staff_id] = await uow.staff.get(staff_id)
        return self._staff[staff_id]


def _alert(case: Case, kind: AlertKind, calendar: WorkingCalendar) -> Callable[[str], Reply]:
    def alert(language: str) -> Reply:
        text = t(
            language,
            f"chase.{kind.value}",
            number=case.number,
            type=type_name(language, case.type),
            due=due_when(case, language, calendar.tz),
            legal_due=moment(language, case.legal_due_at, calendar.tz),
        )
        return Reply(text, (view_button(case.number, language),))

    return alert


async def send_daily_digest(
    unit_of_work: Callable[[], UnitOfWork],
    *,
    calendar: WorkingCalendar,
    now: datetime,
) -> int:
    """The morning digest for leads (their department) and supervisors (every one).
    Returns how many people it was queued for; nothing on days off."""
    local = now.astimezone(calendar.tz)
    if not calendar.is_working_day(local.date()):
        return 0
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    async with unit_of_work() as uow:
        figures = await uow.cases.daily_figures(
            day_start=day_start,
            day_end=day_start + timedelta(days=1),
            since=now - timedelta(days=1),
            now=now,
        )
        names = {d.code: d.name for d in await uow.staff.departments()}
        # Deadlines waiting on a calendar year nobody has supplied: every reader hears it.
        missing = sorted((await uow.cases.provisional_years()).items())
        readers = await uow.staff.members(None, Role.LEAD)
        queued = 0
        for reader in readers:
            lang = reader.language or DEFAULT_LANGUAGE
            scope: dict[str | None, DailyFigures] = (
                figures
                if reader.role >= Role.SUPERVISOR
                else {k: v for k, v in figures.items() if k == reader.department}
            )
            lines = [t(lang, "digest.header", date=day(lang, local.date()))]
            for code in sorted(scope, key=lambda c: c or ""):
                numbers = scope[code]
                lines.append(
                    t(
                        lang,
                        "digest.line",
                        department=names.get(code or "", t(lang, "digest.unrouted")),
                        new=numbers.new,
                        open=numbers.open,
                        due_today=numbers.due_today,
                        overdue=numbers.overdue,
                    )
                )
            lines += [t(lang, "digest.calendar_missing", year=y, count=n) for y, n in missing]
            messages = [
                OutboundMessage(address, Reply("\n".join(lines)))
                for address in await uow.staff.addresses(reader.id)
            ]
            await uow.outbox.add(
                messages, now=now, key=f"digest:{local.date().isoformat()}:{reader.id}"
            )
            queued += bool(messages)
        await uow.commit()
    return queued
