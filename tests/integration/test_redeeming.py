"""A customer exchanging points for gift vouchers through the dialogue: the catalog, the
confirmation (typed as a number, as on WeChat, or pressed), a double tap spending
nothing twice, and the refusals."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseType
from core.channel.io import Choice, Incoming, Input, Reply, Text
from core.rewards.ledger import RewardReason
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import ALICE, at, conversation_service, draft, filed_case

NOW = at("2026-11-02 10:00")
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def test_exchanging_points_for_vouchers(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    suggestion = await filed_case(
        SqlUnitOfWork(engine),
        draft(type=CaseType.SUGGESTION),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=NOW,
    )
    async with SqlUnitOfWork(engine) as uow:
        card = await uow.vouchers.add("京东卡50元", cost=30, stock=2, valid_days=90)
        dear = await uow.vouchers.add("年度体检", cost=500, stock=5, valid_days=365)
        await uow.rewards.award(ALICE, RewardReason.SUGGESTION_ADOPTED, 70, suggestion.number, NOW)
        await uow.commit()
    service = conversation_service(engine, calendar)

    async def say(message: Input | str) -> Reply:
        typed = Text(message) if isinstance(message, str) else message
        outcome = await service.handle(Incoming(ALICE, typed, Channel.PUBLIC_PLATFORM), NOW)
        return outcome.replies[0]

    async def balance() -> int:
        async with SqlUnitOfWork(engine) as uow:
            return await uow.rewards.balance(ALICE)

    menu = await say("/redeem")
    assert "现有 70 积分" in menu.text
    labels = {o.key: o.label for o in menu.options}
    assert labels[f"y:{card.id}"] == "京东卡50元 – 30 积分（剩余 2 张）"
    assert any("年度体检" in label for label in labels.values()) and labels["y:no"] == "取消"

    confirm = await say(f"/redeem {card.id}")
    assert "京东卡50元（30 积分）" in confirm.text
    assert [o.key for o in confirm.options] == [f"x:{card.id}:yes", f"x:{card.id}:no"]
    issued = await say("1")  # typed, as a WeChat customer answers a numbered menu
    first = CODE.search(issued.text)
    assert first is not None and "2027年1月31日" in issued.text and "剩余 40 积分" in issued.text
    # A second tap on the same "yes" spends nothing: the confirmation was answered.
    assert "失效" in (await say(Choice(f"x:{card.id}:yes"))).text
    assert await balance() == 40

    await say(f"/redeem {card.id}")
    assert "未兑换" in (await say(Choice(f"x:{card.id}:no"))).text
    assert await balance() == 40

    await say(f"/redeem {card.id}")
    second = CODE.search((await say(Choice(f"x:{card.id}:yes"))).text)
    assert second is not None and second.group(0) != first.group(0)
    assert await balance() == 10

    assert "兑完" in (await say(f"/redeem {card.id}")).text  # the stock is gone
    assert "需要 500 积分，您现有 10 积分" in (await say(f"/redeem {dear.id}")).text
    assert "没有编号为 99" in (await say("/redeem 99")).text
    async with SqlUnitOfWork(engine) as uow:
        mine = await uow.vouchers.for_customer(ALICE)
        entries = await uow.rewards.recent(ALICE, 10)
    assert sorted(r.code for r in mine) == sorted([first.group(0), second.group(0)])
    assert [e.points for e in entries] == [-30, -30, 70]
