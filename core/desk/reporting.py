"""The report of a month or a quarter, ordered from chat (`/report`): leads get their
department's, supervisors the whole bank's. The order goes out through the outbox to the
staff member's own chat, where the report arrives with the four targets as text and its
files (`core.analytics.orders`)."""

from __future__ import annotations

from core.analytics.orders import period_asked, report_heading
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage, ReportOrder
from core.desk.registry import command
from core.desk.staff import ChatAddress, Role
from core.desk.work import Work


@command("report", role=Role.LEAD)
async def report(work: Work) -> None:
    staff = work.staff
    period = period_asked(work.command.rest, work.now.astimezone(work.settings.calendar.tz).date())
    if period is None:
        work.say("desk.report.which", given=work.command.rest)
        return
    department, name = None, None
    if staff.role < Role.SUPERVISOR:
        department = staff.department
        known = await work.uow.staff.department(department)
        name = known.name if known else department
    order = ReportOrder(period, department, staff.language)
    # To the staff member's own chat, also when asked in a group: one person ordered it.
    own_chat = ChatAddress(work.sender.platform, work.sender.user_id)
    heading = Reply(report_heading(staff.language, order, name))
    work.sends.append(OutboundMessage(own_chat, heading, report=order))
    work.say("desk.report.coming", period=period.label)
