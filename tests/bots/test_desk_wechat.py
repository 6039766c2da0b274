"""The staff desk over WeChat: a staff member on WeChat handles a WeChat customer's case."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.values import CaseStatus
from core.desk.staff import Role
from intake import admin
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.test_wechat import Bank, close_bank, open_bank, say, settle
from tests.conftest import database_url
from tests.doubles.wechat_platform import FakeClock, WeChatPlatform
from tests.factories import at


async def register_cards_staff(
    bank: Bank, platform: WeChatPlatform, clock: FakeClock, name: str, role: Role
) -> str:
    """A 'cards' department (the default) and one member registered from WeChat; their
    openid."""
    uow = SqlUnitOfWork(bank.wiring.engine)
    await admin.save_department(
        uow, code="cards", name="银行卡部", business=["debit_card"], default=True
    )
    code, _ = await admin.invite(
        uow, name=name, role=role, department="cards", now=clock.datetime()
    )
    openid = platform.new_openid()
    assert "注册成功" in await say(platform, openid, f"/register {code}")
    return openid


async def test_a_wechat_agent_handles_a_wechat_complaint(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = FakeClock(at("2026-11-02 10:00"))
    async with WeChatPlatform(now=clock) as platform:
        bank = await open_bank(database_url(tmp_path), platform, clock)
        try:
            agent = await register_cards_staff(bank, platform, clock, "赵坐席", Role.AGENT)
            customer = platform.new_openid()

            for answer in (
                "你好",
                "1",
                "借记卡",
                "线上",
                "借记卡年费被重复收取了两次。",
                "1",
                "退还多收的年费",
                "1",
                "王五",
                "13812348000",
            ):
                await say(platform, customer, answer)
            confirmation = await say(platform, customer, "提交")
            number = re.search(r"CP-\d{8}-\d{4}", confirmation)
            assert number is not None
            case_number = number.group(0)

            await settle(bank)
            [alert] = platform.api.custom_messages(agent)
            assert case_number in (alert.text or "") and f"/take {case_number}" in (
                alert.text or ""
            )
            assert "王*" in (alert.text or "") and "13812348000" not in (alert.text or "")

            assert "已接手" in await say(platform, agent, f"/take {case_number}")
            assert "转达" in await say(platform, agent, f"/ask {case_number} 哪张卡？")
            await settle(bank)
            assert "哪张卡？" in (platform.api.custom_messages(customer)[-1].text or "")

            assert "已转交" in await say(platform, customer, "尾号 1234 的那张")
            await settle(bank)
            assert "尾号 1234" in (platform.api.custom_messages(agent)[-1].text or "")

            refused = await say(platform, agent, f"/resolve {case_number} 已退还。")
            assert f"请先发送 /classify {case_number} 设置原因" in refused
            # The causes to choose from, numbered: the command to type with each.
            assert f"收费定价、收益: /classify {case_number} 6" in refused
            assert "fees_returns" not in refused
            assert "「收费定价、收益」" in await say(platform, agent, f"/classify {case_number} 6")
            channels = await say(platform, agent, f"/channel {case_number}")
            assert (
                "当前：网点柜面" in channels and f"手机银行: /channel {case_number} 5" in channels
            )
            assert "「手机银行」" in await say(platform, agent, f"/channel {case_number} 手机银行")
            assert "待客户评价后办结" in await say(
                platform, agent, f"/resolve {case_number} 已退还。"
            )
            await settle(bank)
            result, survey = platform.api.custom_messages(customer)[-2:]
            assert "已退还。" in (result.text or "") and "满意" in (survey.text or "")

            async with bank.wiring.unit_of_work() as work:
                case = await work.cases.get(case_number)
                actors = {e.actor for e in await work.cases.history(case_number)}
            assert case is not None and case.status is CaseStatus.RESOLVED
            assert actors == {"staff:1", f"customer:wechat:{customer}"}
        finally:
            await close_bank(bank)
