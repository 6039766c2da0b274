"""The conversation service on a real database: locking, deduplication, persistence."""

from __future__ import annotations

import asyncio

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.channel.io import Choice, Incoming, Input, Text
from core.customers.dialogue.state import Step
from core.identity import CustomerId, Platform
from storage.tables import RewardAccountRow, RewardEntryRow
from tests.factories import at, conversation_service, stored_dialogue

CAROL = CustomerId(Platform.WECHAT, "oCarol")
NOW = at("2026-11-02 10:00")


def incoming(message: Input, key: str | None = None) -> Incoming:
    return Incoming(CAROL, message, Channel.PUBLIC_PLATFORM, "zh-hans", key)


async def test_concurrent_messages_of_one_customer_are_applied_one_by_one(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    conversations = conversation_service(engine, calendar)
    for message in (
        Choice("t:complaint"),
        Choice("b:loans"),
        Choice("r:online"),
        Choice("w:online_banking"),
        Text("The first part of what happened."),
    ):
        await conversations.handle(incoming(message), NOW)
    parts = [f"Part {i} of the story." for i in range(8)]
    await asyncio.gather(*(conversations.handle(incoming(Text(p)), NOW) for p in parts))

    dialogue = await stored_dialogue(engine, CAROL)
    assert dialogue is not None and dialogue.step is Step.DESCRIPTION
    assert dialogue.description is not None
    lines = dialogue.description.split("\n")
    assert lines[0] == "The first part of what happened."
    assert sorted(lines[1:]) == sorted(parts)  # every part once: no update was lost


async def test_concurrent_redeliveries_act_once(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    conversations = conversation_service(engine, calendar)
    answers = await asyncio.gather(
        *(
            conversations.handle(incoming(Choice("t:praise"), "wechat:msg:42"), NOW)
            for _ in range(5)
        )
    )
    assert sum(not a.redelivered for a in answers) == 1
    dialogue = await stored_dialogue(engine, CAROL)
    assert dialogue is not None and dialogue.step is Step.BUSINESS and dialogue.trail == []


async def test_points_come_from_the_ledger(engine: AsyncEngine, calendar: WorkingCalendar) -> None:
    conversations = conversation_service(engine, calendar)
    [reply] = (await conversations.handle(incoming(Text("/points")), NOW)).replies
    assert "暂无积分" in reply.text
    async with engine.begin() as conn:
        await conn.execute(
            insert(RewardEntryRow),
            [
                {
                    "customer_platform": "wechat",
                    "customer_user_id": "oCarol",
                    "points": 50,
                    "reason": "praise_filed",
                    "case_number": None,
                    "at": at("2026-11-01 09:00"),
                },
                {
                    "customer_platform": "wechat",
                    "customer_user_id": "oCarol",
                    "points": 100,
                    "reason": "suggestion_adopted",
                    "case_number": None,
                    "at": at("2026-11-02 09:00"),
                },
                {
                    "customer_platform": "telegram",
                    "customer_user_id": "oCarol",
                    "points": 999,
                    "reason": "praise_filed",
                    "case_number": None,
                    "at": at("2026-11-02 09:00"),
                },
            ],
        )
        # The balances beside the ledger, as `award` keeps them.
        await conn.execute(
            insert(RewardAccountRow),
            [
                {"customer_platform": "wechat", "customer_user_id": "oCarol", "balance": 150},
                {"customer_platform": "telegram", "customer_user_id": "oCarol", "balance": 999},
            ],
        )
    [reply] = (await conversations.handle(incoming(Text("/points")), NOW)).replies
    assert reply.text.splitlines() == [
        "您当前有 150 积分。",
        "2026年11月2日  +100  建议被采纳",
        "2026年11月1日  +50  提交表扬",
    ]
