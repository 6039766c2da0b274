"""A customer's words and files about an open case, on their way to the staff handling it.

An answer to `/ask` goes to whoever asked; material added after filing goes to the case's
handler (its assignee, else its department's leads, else the supervisors). Either way
the case records it in its trail, and each staff member gets one message in their
language that starts with who wrote and about which case, personal data masked; when a
platform must split a long one, every further piece says what it continues.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.cases.case import Case
from core.cases.filing import change_case_within
from core.cases.naming import type_name
from core.channel.io import PART, PARTS, Reply
from core.channel.outbox import OutboundMessage
from core.customers.dialogue.state import Material
from core.desk.notify import tell_staff
from core.desk.staff import Role, StaffMember, staff_id_of
from core.desk.taking import view_button
from core.desk.views import customer_line, safe
from core.messages import t
from core.ports import UnitOfWork


async def record(
    uow: UnitOfWork, case: Case, material: Iterable[Material], actor: str, now: datetime
) -> None:
    """The case keeps the files (with their captions) and every piece in its trail; a
    finished case takes no more files, though the trail still shows what came."""
    pieces = list(material)

    def keep(c: Case) -> None:
        for piece in pieces:
            if piece.media is not None and c.status.is_open:
                c.add_attachment(piece.media, actor=actor, now=now)
            c.customer_replied(text=piece.note, actor=actor, now=now)

    await change_case_within(uow, case, keep)


async def asker(uow: UnitOfWork, case: Case) -> list[StaffMember]:
    """Who asked the customer the latest question, if still active; else the handler."""
    history = await uow.cases.history(case.number)
    asked = next((e for e in reversed(history) if e.action == "asked_customer"), None)
    staff_id = staff_id_of(asked.actor) if asked is not None else None
    person = await uow.staff.get(staff_id) if staff_id is not None else None
    return [person] if person is not None and person.active else await handler(uow, case)


async def handler(uow: UnitOfWork, case: Case) -> list[StaffMember]:
    """The assignee; else the department's leads; else the supervisors."""
    if case.assignee and case.assignee.isdecimal():
        assignee = await uow.staff.get(int(case.assignee))
        if assignee is not None and assignee.active:
            return [assignee]
    leads = await uow.staff.members(case.department, Role.LEAD) if case.department else []
    return leads or await uow.staff.members(None, Role.SUPERVISOR)


async def relay(
    uow: UnitOfWork,
    people: Iterable[StaffMember],
    case: Case,
    material: tuple[Material, ...],
    *,
    answer: bool,
) -> list[OutboundMessage]:
    """Pass the customer's words and files on: who, which case, then what they sent."""

    def reply(lang: str) -> Reply:
        header = t(
            lang,
            "desk.relay.answer" if answer else "desk.relay.added",
            customer=customer_line(case, lang),
            type=type_name(lang, case.type),
            number=case.number,
        )
        return Reply(
            "\n".join([header, *(safe(case, m.note) for m in material)]),
            (view_button(case.number, lang),),
            media=tuple(m.media for m in material if m.media is not None),
            media_platform=case.customer.platform,
            continued=t(lang, "desk.relay.continued", number=case.number, part=PART, parts=PARTS),
        )

    return await tell_staff(uow, people, reply, case.number)
