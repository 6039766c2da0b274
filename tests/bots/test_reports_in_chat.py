"""Reports in chat, end to end: `/report` on Telegram brings the targets and the files
as one album; on WeChat the targets and links to the files, which the service serves
for a while and then forgets."""

from __future__ import annotations

import io
import re
from pathlib import Path

from aiohttp import ClientSession
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from core.desk.staff import Role
from tests.bots.telegram_support import Desk
from tests.bots.test_desk_telegram import file_debit_card_complaint, set_up_desk
from tests.bots.test_desk_wechat import register_cards_staff
from tests.bots.test_wechat import close_bank, open_bank, say, settle
from tests.conftest import database_url
from tests.doubles.wechat_platform import FakeClock, WeChatPlatform
from tests.factories import at

LEAD = 5002


async def test_a_lead_gets_the_report_of_their_department_as_one_album(
    desk: Desk, tmp_path: Path
) -> None:
    api = desk.api
    await desk.stop()
    await desk.start(intake_reports_dir=str(tmp_path / "reports"))
    codes = await set_up_desk(desk)
    await desk.say(LEAD, f"/register {codes['王主管']}")
    number = await file_debit_card_complaint(desk)
    await api.wait_for_message(LEAD)  # the new case's alert

    answer = await desk.say(LEAD, "/report")
    assert "2026-11 的报告正在生成" in (answer.text or "")
    await api.wait_for_call("sendMediaGroup", timeout=60)  # matplotlib is slow to start
    html, xlsx = [m for m in api.sent(LEAD) if m.method == "sendMediaGroup"]
    assert html.message["media_group_id"] == xlsx.message["media_group_id"]
    assert html.message["document"]["file_name"] == "report-2026-11.html"
    assert xlsx.message["document"]["file_name"] == "report-2026-11.xlsx"
    caption = html.plain_text or ""
    assert caption.startswith("📊 月度报告 2026-11 · 银行卡部")
    assert "月均受理" in caption and "按时办结率" in caption and "建议采纳率" in caption
    # The department's cases, masked: the complaint is there, its customer's name is not.
    assert html.file is not None and xlsx.file is not None
    assert "2026-11" in html.file.decode("utf-8")
    [folder] = (tmp_path / "reports" / "chat").iterdir()  # the report's own folder
    assert sorted(p.name for p in folder.iterdir()) == [
        ".expires",
        "cases-2026-11.csv",
        "report-2026-11.html",
        "report-2026-11.xlsx",
    ]
    book = load_workbook(io.BytesIO(xlsx.file), read_only=True)
    cells = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert number in cells
    assert not any("张三丰" in c for c in cells) and not any("13812348000" in c for c in cells)


async def test_an_agent_is_told_the_report_is_for_leads(desk: Desk) -> None:
    codes = await set_up_desk(desk)
    await desk.say(5001, f"/register {codes['李坐席']}")
    answer = await desk.say(5001, "/report quarter")
    assert "无权" in (answer.text or "")
    assert not [m for m in desk.api.sent(5001) if m.method == "sendMediaGroup"]


async def test_on_wechat_the_targets_come_with_links_that_expire(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    clock = FakeClock(at("2026-11-02 10:00"))
    async with WeChatPlatform(now=clock) as platform:
        bank = await open_bank(
            database_url(tmp_path),
            platform,
            clock,
            intake_reports_dir=str(tmp_path / "reports"),
            intake_public_url="https://feedback.example.test/intake/",
            intake_report_link_hours=48,
        )
        try:
            supervisor = await register_cards_staff(bank, platform, clock, "陈总", Role.SUPERVISOR)
            assert "2026Q4 的报告正在生成" in await say(platform, supervisor, "/report 季度")
            await settle(bank)
            [report] = platform.api.custom_messages(supervisor)[-1:]
            text = report.text or ""
            assert text.startswith("📊 季度报告 2026Q4 · 全行")
            assert "按时办结率" in text and "48 小时内有效" in text
            links = re.findall(r"https://feedback\.example\.test/intake/reports/\S+", text)
            assert [link.rsplit("/", 1)[1] for link in links] == [
                "report-2026Q4.html",
                "report-2026Q4.xlsx",
            ]
            local = [str(bank.server.make_url(link.split("/intake", 1)[1])) for link in links]
            async with ClientSession() as http:
                async with http.get(local[0]) as page:
                    assert page.status == 200
                    assert "2026Q4" in await page.text()
                guessed = re.sub(r"/reports/[^/]+/", "/reports/" + "x" * 32 + "/", local[0])
                async with http.get(guessed) as wrong:
                    assert wrong.status == 404 and "/report" in await wrong.text()
                clock.advance(hours=49)
                async with http.get(local[1]) as expired:
                    assert expired.status == 404
        finally:
            await close_bank(bank)
