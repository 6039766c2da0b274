"""Customers get an answer to everything, over WeChat end to end: locations, links and
chat files at every step; a photo added to an open case after filing; the voucher menu
answered by number and the codes issued; a long answer to /ask; /extend past the ceiling
— with WeChat customers and WeChat staff."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.rejections import Rejected
from bots.text import utf8_length
from bots.wechat.codec import parse_xml
from bots.wechat.convert import Inbound, to_inbound
from bots.wechat.gate import check_message
from bots.wechat.push import MAX_TEXT_BYTES
from core.cases.case import Case
from core.cases.values import Attachment
from core.channel.io import Media, Unsupported
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from intake import admin
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.test_desk_wechat import register_cards_staff
from tests.bots.test_wechat import AES_KEY, Bank, close_bank, open_bank, say, settle
from tests.conftest import database_url
from tests.doubles.wechat_platform import FakeClock, PreparedRequest, WeChatPlatform
from tests.factories import at

LOCATION = "抱歉，暂时无法处理位置信息。"
LINK = "抱歉，暂时无法处理链接（请把内容以文字发送）。"
FILE = "抱歉，暂时无法处理聊天文件（请改用图片或截图发送）。"
MASKED = "王* 138****8000"


@dataclass
class Chat:
    platform: WeChatPlatform
    bank: Bank
    agent: str
    lead: str
    customer: str

    def pushed(self, openid: str) -> list[str]:
        return [m.text or "" for m in self.platform.api.custom_messages(openid)]

    async def send(self, prepared: PreparedRequest) -> str:
        result = await self.platform.deliver(prepared)
        assert result.status == 200 and result.reply is not None, result.text
        return result.reply.content or ""

    async def case(self, number: str) -> tuple[Case, list[tuple[str, str, str | None]]]:
        async with self.bank.wiring.unit_of_work() as uow:
            case = await uow.cases.get(number)
            trail = [(e.action, e.actor, e.note) for e in await uow.cases.history(number)]
        assert case is not None
        return case, trail


@pytest.fixture
async def chat(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Chat]:
    clock = FakeClock(at("2026-11-02 10:00"))
    async with WeChatPlatform(encoding_aes_key=AES_KEY, now=clock) as platform:
        bank = await open_bank(database_url(tmp_path), platform, clock)
        try:
            agent = await register_cards_staff(bank, platform, clock, "赵坐席", Role.AGENT)
            lead = await register_cards_staff(bank, platform, clock, "钱主管", Role.LEAD)
            yield Chat(platform, bank, agent, lead, platform.new_openid())
        finally:
            await close_bank(bank)


async def file_complaint(chat: Chat) -> str:
    for answer in ("/complaint", "借记卡", "线上", "借记卡年费被重复收取了两次。", "1"):
        await say(chat.platform, chat.customer, answer)
    for answer in ("退还多收的年费", "1", "王五", "13812348000"):
        await say(chat.platform, chat.customer, answer)
    found = re.search(r"CP-\d{8}-\d{4}", await say(chat.platform, chat.customer, "提交"))
    assert found is not None
    await settle(chat.bank)
    return found.group(0)


async def test_locations_links_and_files_at_every_step(chat: Chat) -> None:
    platform, customer = chat.platform, chat.customer

    async def answered(prompt: str) -> None:
        """A location, a link and a chat file each get the step asked again."""
        assert await chat.send(platform.build_location(customer)) == f"{LOCATION}\n{prompt}"
        assert await chat.send(platform.build_link(customer)) == f"{LINK}\n{prompt}"
        assert await chat.send(platform.build_file(customer)) == f"{FILE}\n{prompt}"

    greeting = await say(platform, customer, "/start")
    await answered(greeting)
    prompt = await say(platform, customer, "1")
    for answer in ("借记卡", "线上"):
        await answered(prompt)
        prompt = await say(platform, customer, answer)
    await answered(prompt)  # the description
    image = platform.build_image(customer)
    assert (await chat.send(image)).startswith("已收到附件（共1个）。")
    await say(platform, customer, "借记卡年费被重复收取了两次。")
    # Asked again is the step's question, now with "continue".
    prompt = "请描述具体情况（10–2000字）。也可以发送图片、语音或文件。\n1. 继续"
    for answer in ("1", "1", "1", "王五"):  # continue, skip the outcome, consent, name
        await answered(prompt)
        prompt = await say(platform, customer, answer)
    await answered(prompt)  # the phone number
    summary = await say(platform, customer, "13812348000")
    await answered(summary)
    assert "受理编号" in await say(platform, customer, "提交")

    async with chat.bank.wiring.unit_of_work() as uow:
        [case] = await uow.cases.for_customer(CustomerId(Platform.WECHAT, customer))
    media_id = dict(image.fields)["MediaId"]
    assert case.description == "借记卡年费被重复收取了两次。" and case.branch == "线上"
    assert case.attachments == [Attachment("photo", media_id, None)]


async def test_a_photo_after_filing_goes_to_the_case_and_its_handler(chat: Chat) -> None:
    platform, customer = chat.platform, chat.customer
    number = await file_complaint(chat)
    assert "已接手" in await say(platform, chat.agent, f"/take {number}")
    _, filed = await chat.case(number)

    image = platform.build_image(customer)
    asked = await chat.send(image)
    assert asked == (
        f"您的反馈 {number} 正在办理中。要把刚才发送的内容补充到这件反馈吗？\n"
        f"1. 补充到投诉 {number}\n2. 不用，显示菜单"
    )
    assert await say(platform, customer, "1") == f"已补充到 {number}（1 条），并已转告处理人员。"

    case, trail = await chat.case(number)
    media_id = dict(image.fields)["MediaId"]
    actor = f"customer:wechat:{customer}"
    assert case.attachments == [Attachment("photo", media_id, None)]
    assert trail == [*filed, ("attached", actor, None), ("customer_replied", actor, "[photo]")]
    lead_before = len(chat.pushed(chat.lead))
    await settle(chat.bank)
    assert chat.pushed(chat.agent)[-1] == (
        f"{MASKED} 为投诉 {number} 补充了内容：\n[photo]\n查看: /case {number}"
    )
    assert len(chat.pushed(chat.lead)) == lead_before  # the handler is told, nobody else


async def test_the_voucher_menu_is_numbered_and_codes_are_listed_again(chat: Chat) -> None:
    platform, customer = chat.platform, chat.customer
    voucher = await admin.add_voucher(
        SqlUnitOfWork(chat.bank.wiring.engine), name="京东卡10元", cost=10, stock=3, valid_days=90
    )
    for answer in ("/suggestion", "借记卡", "线上", "希望手机银行能显示年费扣款提醒。", "1", "1"):
        await say(platform, customer, answer)
    for answer in ("王五", "13812348000"):
        await say(platform, customer, answer)
    assert "获得 10 积分" in await say(platform, customer, "提交")

    assert await say(platform, customer, "/redeem") == (
        "可用积分兑换的礼品券（您现有 10 积分）：\n"
        "请选择要兑换的礼品券。已兑换的券码可发送 /vouchers 查看。\n"
        "1. 京东卡10元 – 10 积分（剩余 3 张）\n2. 取消"
    )
    assert await say(platform, customer, "1") == (
        "确认用积分兑换 京东卡10元（10 积分）？\n1. 确认兑换\n2. 取消"
    )
    issued = await say(platform, customer, "1")
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", issued)
    assert code is not None
    assert await say(platform, customer, "/vouchers") == (
        f"您兑换的礼品券（最新在前）：\n京东卡10元：{code.group(0)}，有效期至 2027年1月31日 10:00"
    )
    async with chat.bank.wiring.unit_of_work() as uow:
        assert await uow.rewards.balance(CustomerId(Platform.WECHAT, customer)) == 0
        stocked = await uow.vouchers.get(voucher.id)
    assert stocked is not None and stocked.stock == 2


async def test_a_long_answer_reaches_a_wechat_agent_as_labelled_pieces(chat: Chat) -> None:
    platform, customer = chat.platform, chat.customer
    number = await file_complaint(chat)
    await say(platform, chat.agent, f"/take {number}")
    await say(platform, chat.agent, f"/ask {number} 请详细说明经过。")
    await settle(chat.bank)

    answer = ("The fee was charged twice, once at the branch and once online; " * 90)[:4999] + "."
    assert len(answer) == 5000
    assert await say(platform, customer, answer) == "已收到，您的回复已转交工作人员。"
    await settle(chat.bank)
    pushed = chat.pushed(chat.agent)[-3:]
    header = f"{MASKED} 回复了投诉 {number} 的提问：\n"
    assert pushed[0].startswith(header)
    assert [p.split("\n", 1)[0] for p in pushed[1:]] == [
        f"（续 2/3）{number}",
        f"（续 3/3）{number}",
    ]
    assert all(utf8_length(p) <= MAX_TEXT_BYTES for p in pushed)
    assert pushed[-1].endswith(f"\n查看: /case {number}")
    # Every word arrived, in order (pieces are cut at spaces, which the cut drops).
    body = [pushed[0][len(header) :], *(p.split("\n", 1)[1] for p in pushed[1:])]
    assert " ".join(body).removesuffix(f"\n查看: /case {number}") == answer
    _, trail = await chat.case(number)
    assert trail[-1] == ("customer_replied", f"customer:wechat:{customer}", answer)


async def test_extend_past_the_legal_ceiling_on_wechat(chat: Chat) -> None:
    platform = chat.platform
    number = await file_complaint(chat)
    before = await chat.case(number)
    customer_told = len(chat.pushed(chat.customer))
    assert await say(platform, chat.lead, f"/extend {number} 40 需调取监控") == (
        f"无法延长 40 个工作日：将超过 {number} 的法定时限（现为 2026年11月17日 10:00，"
        "主管最多可延至 2026年12月2日 10:00）。本案最多可延长 19 个工作日，至 2026年12月2日 10:00。"
    )
    assert await say(platform, chat.lead, f"/extend {number} x 需调取监控") == (
        f"工作日数须为大于 0 的整数，例如：/extend {number} 2 原因"
    )
    await settle(chat.bank)
    after = await chat.case(number)
    assert after[1] == before[1] and after[0].due_at == before[0].due_at
    assert len(chat.pushed(chat.customer)) == customer_told


def wechat_message(kind: str, fields: str) -> Inbound:
    xml = (
        "<xml><ToUserName>gh_bank</ToUserName><FromUserName>o-customer</FromUserName>"
        f"<CreateTime>1790000000</CreateTime><MsgType>{kind}</MsgType>{fields}"
        "<MsgId>42</MsgId></xml>"
    )
    return to_inbound(check_message(parse_xml(xml)), "wx-app")


def test_what_each_kind_of_wechat_message_becomes() -> None:
    assert wechat_message("location", "<Location_X>31.2</Location_X><Label>L</Label>").message == (
        Unsupported("location")
    )
    assert wechat_message("link", "<Title>T</Title><Url>https://x.cn</Url>").message == (
        Unsupported("link")
    )
    assert wechat_message("file", "<Title>a.pdf</Title><FileKey>k</FileKey>").message == (
        Unsupported("file")
    )
    # A type the platform does not document is no message to answer: `success`, counted.
    with pytest.raises(Rejected):
        wechat_message("miniprogrampage", "<Title>T</Title>")
    short = wechat_message("shortvideo", "<MediaId>M1</MediaId><ThumbMediaId>T1</ThumbMediaId>")
    assert short.message == Media("video", "M1")
    assert short.delivery_key == "wechat:wx-app:msg:42"
