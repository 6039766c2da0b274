"""The bank the unit tests work in: two departments, their staff, and a customer's words."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime
from typing import Any

from core.cases.classification import BusinessType, Channel
from core.channel.io import Choice, Incoming, Input, Text
from core.customers.conversation import ConversationService
from core.desk.service import DeskService
from core.desk.staff import ChatAddress, Department, Role, StaffMember
from core.identity import CustomerId, Platform
from tests.fakes import InMemoryDatabase

CARDS_GROUP = ChatAddress(Platform.TELEGRAM, "-100777")
AGENT = CustomerId(Platform.TELEGRAM, "9001")
LEAD = CustomerId(Platform.TELEGRAM, "9002")
LOANS_AGENT = CustomerId(Platform.TELEGRAM, "9003")
SUPERVISOR = CustomerId(Platform.TELEGRAM, "9004")


def chat(account: CustomerId) -> ChatAddress:
    """A staff member's private chat: on Telegram, their user id."""
    return ChatAddress(account.platform, account.user_id)


def open_bank(db: InMemoryDatabase, *, group: bool = False) -> dict[CustomerId, StaffMember]:
    """Cards (debit cards, and the default) and loans, with an agent each, a cards lead
    and a supervisor; with `group`, new cards cases are announced in the team's chat."""
    db.add_department(
        Department(
            "cards",
            "Cards",
            frozenset({BusinessType.DEBIT_CARD}),
            is_default=True,
            alert_chat=CARDS_GROUP if group else None,
        )
    )
    db.add_department(Department("loans", "Loans", frozenset({BusinessType.LOANS})))
    return {
        AGENT: db.add_staff("Wang", Role.AGENT, "cards", AGENT),
        LEAD: db.add_staff("Li", Role.LEAD, "cards", LEAD),
        LOANS_AGENT: db.add_staff("Zhao", Role.AGENT, "loans", LOANS_AGENT),
        SUPERVISOR: db.add_staff("Chen", Role.SUPERVISOR, "hq", SUPERVISOR),
    }


def incoming(who: CustomerId, message: Input | str, key: str | None = None) -> Incoming:
    typed = Text(message) if isinstance(message, str) else message
    return Incoming(who, typed, Channel.PUBLIC_PLATFORM, "zh-hans", key)


async def say(
    service: ConversationService, who: CustomerId, message: Input | str, now: datetime
) -> list[str]:
    """What the customer is answered, as texts."""
    return [r.text for r in (await service.handle(incoming(who, message), now)).replies]


async def command(desk: DeskService, who: CustomerId, text: str, now: datetime) -> list[str]:
    """What a staff member is answered; fails if the desk took it for a customer's words."""
    outcome = await desk.handle(incoming(who, text), now)
    assert outcome is not None, f"{text!r} was not taken as a staff command"
    return [r.text for r in outcome.replies]


async def file_by_dialogue(
    service: ConversationService, who: CustomerId, now: datetime, kind: str = "complaint"
) -> str:
    """A debit-card matter told through the dialogue, start to finish; its number. A
    praise is anonymous; anything else skips the desired outcome and gives a name and
    phone number."""
    contact: tuple[Input | str, ...] = (
        (Choice("c:anon"),)
        if kind == "praise"
        else (Choice("o:skip"), Choice("c:yes"), "张三", "13812348000")
    )
    for step in (
        Choice(f"t:{kind}"),
        Choice("b:debit_card"),
        Choice("r:online"),
        Choice("w:self_service"),
        "The ATM kept my card and nobody at the branch helped.",
        Choice("d:next"),
        *contact,
    ):
        await service.handle(incoming(who, step), now)
    outcome = await service.handle(incoming(who, Choice("s:submit")), now)
    found = re.search(r"[A-Z]{2}-\d{8}-\d{4}", outcome.replies[0].text)
    assert found is not None, outcome.replies
    return found.group(0)


def as_stored(db: InMemoryDatabase, number: str) -> tuple[dict[str, Any], int, int]:
    """A case's fields, the length of its trail and of the outbox: what a refusal keeps."""
    return asdict(db.case(number)), len(db.history(number)), len(db.outbox)
