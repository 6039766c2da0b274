"""Giving a case more time (`/extend NO DAYS REASON`): a lead moves its deadline by
working days, past the legal ceiling only as far as their role may approve, and the
customer hears the new date and why."""

from __future__ import annotations

import math
from datetime import timedelta

from core.cases.case import Case
from core.cases.deadlines import furthest_due, later_deadline, legal_deadline, longest_extension
from core.cases.filing import change_case_within
from core.customers.dialogue import views as customer_views
from core.desk import views
from core.desk.registry import StaffCommand, case_command
from core.desk.staff import Role
from core.desk.work import Work
from core.messages import moment


def _days_and_reason(command: StaffCommand) -> bool:
    """Days and a reason; whether the days can be given is `extend`'s to say."""
    days, _, reason = command.rest.partition(" ")
    return bool(days) and bool(reason.strip())


@case_command("extend", role=Role.LEAD, needs=_days_and_reason)
async def extend(work: Work, case: Case) -> None:
    days_text, _, reason = work.command.rest.partition(" ")
    staff, now, calendar = work.staff, work.now, work.settings.calendar
    if not days_text.isdecimal() or int(days_text) == 0:
        work.say("desk.extend.days", number=case.number)
        return
    if case.status.is_open and not _fits(work, case, int(days_text)):
        return
    due = later_deadline(calendar, case, int(days_text))

    def extend_it(c: Case) -> None:
        if due.at > c.legal_due_at:
            # Past the legal ceiling: extend it, with this lead as the approver. The
            # days count from the plain calendar end, which a holiday may have moved.
            plain_end = c.received_at + timedelta(days=c.legal_days)
            days = math.ceil((due.at - plain_end) / timedelta(days=1))
            c.extend(
                days=days,
                reason=reason,
                approver=staff.actor,
                senior_approval=staff.role >= Role.SUPERVISOR,
                actor=staff.actor,
                now=now,
                legal_due_at=legal_deadline(calendar, c.received_at, c.legal_days + days),
            )
        c.postpone(due_at=due.at, due_basis=due.basis, reason=reason, actor=staff.actor, now=now)

    await change_case_within(work.uow, case, extend_it)
    tz = calendar.tz
    language = await work.customer_language(case)
    due_for_customer = customer_views.case_deadline(case, language, tz)
    work.tell_customer(case, language, "customer.extended", due=due_for_customer, reason=reason)
    work.say("desk.done.extend", number=case.number, due=views.due_when(case, staff.language, tz))


def _fits(work: Work, case: Case, days: int) -> bool:
    """Whether `days` more working days stay within the legal ceiling this staff
    member may extend to; if not, say so, with the most that can be given."""
    staff, tz = work.staff, work.settings.calendar.tz
    senior = staff.role >= Role.SUPERVISOR
    most, longest = longest_extension(work.settings.calendar, case, senior)
    if days <= most:
        return True
    about = {
        "days": days,
        "number": case.number,
        "legal_due": moment(staff.language, case.legal_due_at, tz),
        "role": work.text(f"role.{staff.role.name.lower()}"),
        "ceiling": moment(staff.language, furthest_due(case, senior), tz),
    }
    if longest is None:
        work.say("desk.extend.none_left", **about)
    else:
        work.say(
            "desk.extend.too_far",
            most=most,
            most_due=moment(staff.language, longest.at, tz),
            **about,
        )
    return False
