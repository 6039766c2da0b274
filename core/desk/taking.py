"""A case coming into someone's hands: announcing it, looking at it, taking it,
assigning it.

New cases are announced to their department with a Take button; `/case` shows one with
its trail and the same button; `/take` takes it (from a colleague only for a lead);
`/assign` hands it to a department or a person, who is told.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from core.cases.case import Case
from core.cases.filing import change_case_within
from core.cases.values import CaseEvent, CaseStatus
from core.channel.io import Option, Reply
from core.channel.outbox import OutboundMessage
from core.desk import views
from core.desk.notify import tell_staff
from core.desk.registry import case_command, with_text
from core.desk.staff import Role, StaffMember, staff_id_of
from core.desk.work import Work
from core.messages import DEFAULT_LANGUAGE, t
from core.ports import UnitOfWork


def view_button(number: str, lang: str) -> Option:
    """The button under a staff message that opens the case (`/case`)."""
    return Option(case.button(number), t(lang, "desk.view"))


def take_button(number: str, lang: str) -> Option:
    return Option(take.button(number), t(lang, "desk.take"))


async def announce(uow: UnitOfWork, new: Case, tz: ZoneInfo) -> list[OutboundMessage]:
    """Announce a new case to its department's group, or else to its members."""
    if new.department is None:
        return []
    department = await uow.staff.department(new.department)
    if department is None:
        return []

    def alert(lang: str) -> Reply:
        options = (take_button(new.number, lang), view_button(new.number, lang))
        return Reply(views.new_case_alert(new, lang, tz), options)

    if department.alert_chat is None:
        return await tell_staff(uow, await uow.staff.members(department.code), alert, new.number)
    # A team chat is read by many: it gets the bank's language.
    return [OutboundMessage(department.alert_chat, alert(DEFAULT_LANGUAGE), new.number)]


# "view" is the older, shorter key of the button that opens a case.
@case_command("case", button="view")
async def case(work: Work, shown: Case) -> None:
    history = await work.uow.cases.history(shown.number)
    names = await _names(work.uow, shown, history)
    lang = work.staff.language
    work.replies.append(
        Reply(
            views.case_details(shown, history, names, lang, work.settings.calendar.tz),
            (take_button(shown.number, lang),)
            if shown.status.is_open and shown.assignee != str(work.staff.id)
            else (),
            media=tuple(shown.attachments),
            media_platform=shown.customer.platform,
        )
    )


@case_command("take", button=True)
async def take(work: Work, taken: Case) -> None:
    me, uow, now = work.staff, work.uow, work.now
    if not taken.status.is_open:
        status = work.text(f"status.{taken.status.value}")
        work.say("desk.take.finished", number=taken.number, status=status)
        return
    if taken.assignee == str(me.id) and taken.status in (
        CaseStatus.IN_PROGRESS,
        CaseStatus.WAITING_FOR_CUSTOMER,
    ):
        work.say("desk.take.already_yours", number=taken.number)
        return
    holder = await _holder(uow, taken)
    if holder is not None and holder.id != me.id and me.role < Role.LEAD:
        # An agent does not take a colleague's case from under them: a lead decides.
        work.say("desk.take.held", number=taken.number, holder=holder.name)
        return

    def take_it(c: Case) -> None:
        if c.assignee != str(me.id) or c.status is CaseStatus.REOPENED:
            c.assign(
                department=c.department or me.department,
                assignee=str(me.id),
                actor=me.actor,
                now=now,
            )
        c.start(actor=me.actor, now=now)

    await change_case_within(uow, taken, take_it)
    if holder is not None and holder.id != me.id:
        work.sends += await tell_staff(
            uow,
            [holder],
            lambda lang: Reply(
                t(lang, "desk.take.taken_from_you", number=taken.number, taker=me.name)
            ),
            taken.number,
        )
        work.say("desk.done.take_over", number=taken.number, holder=holder.name)
    else:
        work.say("desk.done.take", number=taken.number)
    department = await uow.staff.department(taken.department) if taken.department else None
    if department is not None and department.alert_chat is not None:
        # The team saw the case announced with a Take button: it hears who took it.
        text = t(DEFAULT_LANGUAGE, "desk.take.announce", number=taken.number, taker=me.name)
        work.sends.append(OutboundMessage(department.alert_chat, Reply(text), taken.number))


@case_command("assign", role=Role.LEAD, needs=with_text)
async def assign(work: Work, assigned: Case) -> None:
    uow, now = work.uow, work.now
    target = work.command.rest.split()[0]
    department = await uow.staff.department(target)
    assignee = (await uow.staff.get(int(target))) if target.isdecimal() else None
    if assignee is not None and assignee.active:
        to_department, to_person, label = assignee.department, str(assignee.id), assignee.name
    elif department is not None:
        to_department, to_person, label = department.code, None, department.name
        assignee = None
    else:
        work.say("desk.unknown_target", target=target)
        return
    reopened = assigned.status is CaseStatus.REOPENED
    await change_case_within(
        uow,
        assigned,
        lambda c: c.assign(
            department=to_department, assignee=to_person, actor=work.staff.actor, now=now
        ),
    )
    work.say("desk.done.assign", number=assigned.number, target=label)
    if assignee is not None and assignee.id != work.staff.id:
        tz, by = work.settings.calendar.tz, work.staff.name

        def alert(lang: str) -> Reply:
            text = views.assignment_alert(assigned, by, reopened, lang, tz)
            return Reply(text, (view_button(assigned.number, lang),))

        work.sends += await tell_staff(uow, [assignee], alert, assigned.number)


async def _names(uow: UnitOfWork, shown: Case, history: list[CaseEvent]) -> views.Names:
    """The department's name and the names of the staff the case and its trail name."""
    department = await uow.staff.department(shown.department) if shown.department else None
    ids = {staff_id_of(e.actor) for e in history}
    ids |= {int(a) for e in history if (a := e.after.get("assignee")) and str(a).isdecimal()}
    if shown.assignee and shown.assignee.isdecimal():
        ids.add(int(shown.assignee))
    staff = {}
    for staff_id in sorted(i for i in ids if i is not None):
        member = await uow.staff.get(staff_id)
        if member is not None:
            staff[staff_id] = member.name
    return views.Names(department.name if department else None, staff)


async def _holder(uow: UnitOfWork, held: Case) -> StaffMember | None:
    """The active colleague the case is assigned to, if any."""
    if held.assignee is None or not held.assignee.isdecimal():
        return None
    holder = await uow.staff.get(int(held.assignee))
    return holder if holder is not None and holder.active else None
