"""Telling staff members something: one message each, in their own language, to each of
their chats.

New cases, customers' answers and additions, low ratings, deadline alerts and hand-overs
all reach staff this way; a department's group chat is not a person and is written to
directly, in the bank's language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.desk.staff import ChatAddress, StaffMember
from core.ports import UnitOfWork

Addresses = Callable[[StaffMember], Awaitable[list[ChatAddress]]]


async def tell_staff(
    uow: UnitOfWork,
    people: Iterable[StaffMember],
    message: Callable[[str], Reply],
    case_number: str | None,
    *,
    addresses: Addresses | None = None,
) -> list[OutboundMessage]:
    """`message(language)` for each person to each of their chats, about the case.

    `addresses` looks a person's chats up; by default in the staff directory (a sweep
    over many cases passes one that remembers them)."""
    lookup = addresses or (lambda person: uow.staff.addresses(person.id))
    messages = []
    for person in people:
        reply = message(person.language)
        for address in await lookup(person):
            messages.append(OutboundMessage(address, reply, case_number))
    return messages
