"""Closing the loop over WeChat, end to end: the survey as a numbered menu, a platform
retry of the rating acting once, a low rating's reopen, and an adopted suggestion's
points — with a WeChat customer and a WeChat lead."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.case import Case
from core.cases.values import CaseStatus
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from tests.bots.test_desk_wechat import register_cards_staff
from tests.bots.test_wechat import AES_KEY, Bank, close_bank, open_bank, say, settle
from tests.conftest import database_url
from tests.doubles.wechat_platform import FakeClock, WeChatPlatform
from tests.factories import at


@dataclass
class Loop:
    platform: WeChatPlatform
    bank: Bank
    lead: str
    customer: str

    def pushed(self, openid: str) -> list[str]:
        return [m.text or "" for m in self.platform.api.custom_messages(openid)]

    async def case(self, number: str) -> Case:
        async with self.bank.wiring.unit_of_work() as uow:
            case = await uow.cases.get(number)
        assert case is not None
        return case

    async def balance(self) -> int:
        async with self.bank.wiring.unit_of_work() as uow:
            return await uow.rewards.balance(CustomerId(Platform.WECHAT, self.customer))


@pytest.fixture
async def loop(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Loop]:
    clock = FakeClock(at("2026-11-02 10:00"))
    async with WeChatPlatform(encoding_aes_key=AES_KEY, now=clock) as platform:
        bank = await open_bank(database_url(tmp_path), platform, clock)
        try:
            lead = await register_cards_staff(bank, platform, clock, "钱主管", Role.LEAD)
            yield Loop(platform, bank, lead, platform.new_openid())
        finally:
            await close_bank(bank)


async def file_and_resolve(loop: Loop, kind: str = "1", command: str = "/resolve") -> str:
    """The customer files (1 complaint, 2 suggestion) by numbers; the lead answers it."""
    platform, customer = loop.platform, loop.customer
    steps = ["你好", kind, "借记卡", "线上", "借记卡年费被重复收取了两次。", "1"]
    steps += ["退还多收的年费", "1"] if kind == "1" else ["1"]
    for answer in (*steps, "王五", "13812348000"):
        await say(platform, customer, answer)
    found = re.search(r"(CP|SG)-\d{8}-\d{4}", await say(platform, customer, "提交"))
    assert found is not None
    number = found.group(0)
    await settle(loop.bank)
    if kind == "1":  # a complaint is answered once its cause is set
        await say(platform, loop.lead, f"/classify {number} 6")
    assert "已" in await say(platform, loop.lead, f"{command} {number} 已退还多收的年费。")
    await settle(loop.bank)
    return number


async def test_a_numbered_rating_of_5_retried_by_the_platform_counts_once(loop: Loop) -> None:
    platform, customer = loop.platform, loop.customer
    number = await file_and_resolve(loop)
    result, survey = loop.pushed(customer)[-2:]
    assert "已退还多收的年费。" in result
    assert number in survey and "1. ★ 1" in survey and "5. ★★★★★ 5" in survey

    rating = platform.build_text(customer, "5")
    first, retry = await platform.deliver(rating), await platform.deliver(rating)
    assert first.reply is not None and retry.reply is not None
    assert first.reply.content == retry.reply.content
    assert "5分" in (first.reply.content or "") and "获得 5 积分" in (first.reply.content or "")
    assert "1. 跳过" in (first.reply.content or "")
    assert await loop.balance() == 5

    assert "已记录" in await say(platform, customer, "退得很快")
    case = await loop.case(number)
    assert case.status is CaseStatus.CLOSED
    assert (case.satisfaction, case.satisfaction_comment) == (5, "退得很快")
    # The survey is over: the customer's next words get the menu, not the survey.
    assert "评价" not in await say(platform, customer, "你好")
    assert await loop.balance() == 5


async def test_a_rating_of_1_alerts_the_lead_and_1_reopens(loop: Loop) -> None:
    platform, customer = loop.platform, loop.customer
    number = await file_and_resolve(loop)
    sorry = await say(platform, customer, "1")
    assert "很抱歉" in sorry and "1. 重新办理" in sorry and "2. 不用，结案" in sorry
    await settle(loop.bank)
    assert number in loop.pushed(loop.lead)[-1] and "1/5" in loop.pushed(loop.lead)[-1]

    reopened = await say(platform, customer, "1")
    assert "已重新办理" in reopened and number in reopened
    await settle(loop.bank)
    assert "重新开启" in loop.pushed(loop.lead)[-1]
    case = await loop.case(number)
    assert case.status is CaseStatus.REOPENED and case.satisfaction is None


async def test_an_adopted_suggestion_earns_points_on_wechat(loop: Loop) -> None:
    number = await file_and_resolve(loop, kind="2", command="/adopt")
    assert number.startswith("SG-")
    pushed = loop.pushed(loop.customer)
    assert any("采纳" in text for text in pushed)
    assert any("获得 50 积分" in text and "共 60 积分" in text for text in pushed)
    assert await loop.balance() == 60
