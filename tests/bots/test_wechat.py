"""The WeChat channel end to end: the real service and database behind `/wechat`, and a
platform double that signs, encrypts and verifies the XML as WeChat does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.text import utf8_length
from bots.wechat.channel import WeChatChannel
from bots.wechat.convert import passive_and_rest, to_inbound
from bots.wechat.menu import custom_menu
from bots.wechat.push import Push, Route
from core.cases.values import Attachment
from core.channel.io import DELIVERY_KEY_MAX, Option, Reply
from core.identity import CustomerId, Platform
from intake.config import Settings
from intake.server import build_web_app
from intake.wiring import Wiring, build
from storage.tables import DeliveryRow, DialogueRow, WeChatTokenRow
from tests.conftest import database_url
from tests.doubles.wechat_platform import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_TOKEN,
    FakeClock,
    WeChatPlatform,
    new_encoding_aes_key,
)
from tests.factories import at, stored_dialogue
from tests.processes import run_intake

AES_KEY = new_encoding_aes_key()
TEMPLATE = "tmpl-case-update-1"


def settings_for(url: str, platform: WeChatPlatform, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        wechat_token=DEFAULT_TOKEN,
        wechat_app_id=DEFAULT_APP_ID,
        wechat_app_secret=DEFAULT_APP_SECRET,
        wechat_aes_key=platform.encoding_aes_key,
        wechat_api_base_url=platform.api.base_url,
        intake_branches="Pudong Lujiazui|Jing'an Temple",
        **extra,
    )


class Bank:
    """The service under test, served on loopback where the platform double can reach it."""

    def __init__(self, wiring: Wiring, server: TestServer) -> None:
        self.wiring, self.server = wiring, server

    @property
    def channel(self) -> WeChatChannel:
        assert self.wiring.wechat is not None
        return self.wiring.wechat

    async def count(self, table: type) -> int:
        async with self.wiring.unit_of_work() as uow:
            session = uow.cases._session
            return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def open_bank(url: str, platform: WeChatPlatform, clock: FakeClock, **extra: object) -> Bank:
    wiring = build(settings_for(url, platform, **extra), clock=clock.datetime)
    server = TestServer(build_web_app(wiring), host="127.0.0.1")
    await server.start_server()
    platform.webhook_url = str(server.make_url("/wechat"))
    return Bank(wiring, server)


async def settle(bank: Bank) -> None:
    """Deliver what the outbox holds."""
    await bank.wiring.dispatcher.deliver_due()


async def close_bank(bank: Bank) -> None:
    await settle(bank)
    await bank.server.close()
    await bank.wiring.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(at("2026-11-02 10:00"))


@pytest.fixture(params=["safe", "plain"])
async def platform(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[WeChatPlatform]:
    key = AES_KEY if request.param == "safe" else None
    async with WeChatPlatform(encoding_aes_key=key, now=clock) as double:
        double.api.add_template(TEMPLATE)
        yield double


@pytest.fixture
async def bank(
    engine: AsyncEngine, tmp_path: Path, platform: WeChatPlatform, clock: FakeClock
) -> AsyncIterator[Bank]:
    bank = await open_bank(
        database_url(tmp_path), platform, clock, wechat_template_case_update=TEMPLATE
    )
    yield bank
    await close_bank(bank)


async def say(platform: WeChatPlatform, openid: str, text: str) -> str:
    result = await platform.send_text(openid, text)
    assert result.status == 200 and result.reply is not None, result.text
    assert result.reply.encrypted == (platform.mode == "safe")
    return result.reply.content or ""


async def test_url_verification(bank: Bank, platform: WeChatPlatform) -> None:
    assert (await platform.verify_url("echo-123")).ok
    assert (await platform.verify_url("echo-123", tamper="signature")).status == 403


async def test_a_complete_complaint(bank: Bank, platform: WeChatPlatform) -> None:
    openid = platform.new_openid()
    greeting = await say(platform, openid, "你好")
    assert "1. 投诉\n2. 建议\n3. 表扬" in greeting
    assert "借记卡" in await say(platform, openid, "1")
    assert "1. Pudong Lujiazui" in await say(platform, openid, "借记卡")
    assert "10–2000" in await say(platform, openid, "1")
    assert "继续" in await say(platform, openid, "ATM 吞卡后，网点工作人员让我自己打电话处理。")
    image = await platform.send_image(openid, "media-photo-1")
    assert image.reply is not None and "附件" in (image.reply.content or "")
    assert "处理结果" in await say(platform, openid, "1")  # 1. 继续
    assert "个人信息" in await say(platform, openid, "当天退卡")
    assert "姓名" in await say(platform, openid, "1")  # 1. 同意
    assert "手机号" in await say(platform, openid, "王五")
    summary = await say(platform, openid, "13812348000")
    assert "1. 提交" in summary and "王五 13812348000" in summary
    confirmation = await say(platform, openid, "提交")
    assert "CP-20261102-0001" in confirmation and "2026年11月5日 10:00" in confirmation

    async with bank.wiring.unit_of_work() as uow:
        [case] = await uow.cases.for_customer(CustomerId(Platform.WECHAT, openid))
    assert case.attachments == [Attachment("photo", "media-photo-1", None)]
    assert case.contact.phone == "13812348000"
    assert case.classification.channel.value == "counter"  # a branch chosen: its counter


async def test_menu_clicks_and_subscriptions(bank: Bank, platform: WeChatPlatform) -> None:
    openid = platform.new_openid()
    welcome = await platform.subscribe(openid)
    assert welcome.reply is not None and "1. 投诉" in (welcome.reply.content or "")
    click = await platform.click(openid, "NEW_SUGGESTION")
    assert click.reply is not None and "您的建议涉及哪类业务" in (click.reply.content or "")
    cases = await platform.click(openid, "MY_CASES")
    assert cases.reply is not None and "还没有" in (cases.reply.content or "")
    points = await platform.click(openid, "MY_POINTS")
    assert points.reply is not None and "暂无积分" in (points.reply.content or "")
    vouchers = await platform.click(openid, "REDEEM")
    assert vouchers.reply is not None and "没有可兑换" in (vouchers.reply.content or "")
    kept = await platform.click(openid, "PRIVACY")
    assert kept.reply is not None and "暂无反馈" in (kept.reply.content or "")

    farewell = await platform.unsubscribe(openid)
    assert farewell.status == 200 and farewell.reply is None
    async with bank.wiring.unit_of_work() as uow:
        conversation = await uow.cases._session.get(DialogueRow, ("wechat", openid))
        assert conversation is not None and conversation.subscribed is False
    # No pushes to someone who left: the message waits instead.
    assert await bank.channel.pusher.push(openid, Push("您的案件已办结。")) is Route.HELD
    assert platform.api.custom_messages(openid) == []
    assert platform.api.template_messages(openid) == []


async def test_three_concurrent_deliveries_act_once_with_identical_replies(
    bank: Bank, platform: WeChatPlatform
) -> None:
    openid = platform.new_openid()
    await say(platform, openid, "1")
    await say(platform, openid, "1")
    await say(platform, openid, "线上")
    prepared = platform.build_text(openid, "网银转账手续费与公示不一致，多扣了五元。")
    results = await platform.deliver_concurrently(prepared, times=3)
    assert [r.status for r in results] == [200, 200, 200]
    contents = {r.reply.content for r in results if r.reply is not None}
    assert len(contents) == 1 and "继续" in (contents.pop() or "")
    dialogue = await stored_dialogue(bank.wiring.engine, CustomerId(Platform.WECHAT, openid))
    assert dialogue is not None
    assert dialogue.description == "网银转账手续费与公示不一致，多扣了五元。"


async def assert_refused(bank: Bank, result: object) -> None:
    assert getattr(result, "status", None) == 403 and getattr(result, "reply", 1) is None
    assert await bank.count(DeliveryRow) == 0
    assert await bank.count(DialogueRow) == 0


@pytest.mark.parametrize("forgery", ["signature", "no_signature", "no_timestamp"])
async def test_forged_requests_are_refused(
    bank: Bank, platform: WeChatPlatform, forgery: str
) -> None:
    result = await platform.send_text(platform.new_openid(), "你好", tamper=forgery)  # type: ignore[arg-type]
    await assert_refused(bank, result)


@pytest.mark.parametrize("seconds", [-301, 301])
async def test_stale_or_future_timestamps_are_refused_as_replays(
    bank: Bank, platform: WeChatPlatform, clock: FakeClock, seconds: int
) -> None:
    result = await platform.send_text(
        platform.new_openid(), "你好", timestamp=int(clock()) + seconds
    )
    await assert_refused(bank, result)


@pytest.mark.parametrize("forgery", ["msg_signature", "no_msg_signature", "app_id", "ciphertext"])
async def test_forged_encrypted_requests_are_refused(
    engine: AsyncEngine, tmp_path: Path, clock: FakeClock, forgery: str
) -> None:
    async with WeChatPlatform(encoding_aes_key=AES_KEY, now=clock) as platform:
        bank = await open_bank(database_url(tmp_path), platform, clock)
        try:
            result = await platform.send_text(platform.new_openid(), "你好", tamper=forgery)  # type: ignore[arg-type]
            assert result.status in (400, 403) and result.reply is None
            assert await bank.count(DeliveryRow) == 0
            assert await bank.count(DialogueRow) == 0
        finally:
            await close_bank(bank)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&h;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, "<xml><Content>broken", "not xml at all", "<other/>"]
)
async def test_hostile_or_malformed_xml_is_rejected_quickly(
    bank: Bank, platform: WeChatPlatform, body: str
) -> None:
    result = await platform.send_raw(body)
    assert result.status == 400 and result.elapsed < 1.0
    assert await bank.count(DeliveryRow) == 0


async def test_an_oversized_body_is_rejected(bank: Bank, platform: WeChatPlatform) -> None:
    result = await platform.send_raw("<xml><Content>" + "x" * 70_000 + "</Content></xml>")
    assert result.status in (400, 413)


async def test_pushes_follow_the_service_window(
    bank: Bank, platform: WeChatPlatform, clock: FakeClock
) -> None:
    openid = platform.new_openid()
    await say(platform, openid, "你好")
    pusher = bank.channel.pusher
    # Inside the 48 hours: customer-service messages, five at most.
    routes = [await pusher.push(openid, Push(f"进展 {i}", "CP-20261102-0001")) for i in range(6)]
    assert routes == [Route.SERVICE] * 5 + [Route.TEMPLATE]
    assert [m.text for m in platform.api.custom_messages(openid)] == [f"进展 {i}" for i in range(5)]
    # Outside the window: a template message.
    clock.advance(hours=49)
    assert await pusher.push(openid, Push("处理结果：已退款。", "CP-20261102-0001")) is (
        Route.TEMPLATE
    )
    sent = platform.api.template_messages(openid)
    assert len(sent) == 2 and sent[-1].data["keyword1"]["value"] == "CP-20261102-0001"


async def test_without_a_template_a_push_waits_for_the_next_message(
    engine: AsyncEngine, tmp_path: Path, platform: WeChatPlatform, clock: FakeClock
) -> None:
    bank = await open_bank(database_url(tmp_path), platform, clock)
    try:
        openid = platform.new_openid()
        await say(platform, openid, "你好")
        clock.advance(hours=50)
        assert await bank.channel.pusher.push(openid, Push("请补充交易凭证。")) is Route.HELD
        assert platform.api.custom_messages(openid) == []
        await say(platform, openid, "在吗")  # the customer is back: the window reopens
        await settle(bank)
        assert [m.text for m in platform.api.custom_messages(openid)] == ["请补充交易凭证。"]
        await say(platform, openid, "好的")
        await settle(bank)
        assert len(platform.api.custom_messages(openid)) == 1  # delivered once only
    finally:
        await close_bank(bank)


REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["database", "redis"])
async def token_home(request: pytest.FixtureRequest) -> dict[str, str]:
    """Where the shared token lives: the database, or an emptied Redis database."""
    if request.param == "database":
        return {}
    client = Redis.from_url(REDIS_TEST_URL)
    await client.flushdb()
    await client.aclose()
    return {"redis_url": REDIS_TEST_URL}


async def test_two_processes_share_one_token(
    engine: AsyncEngine,
    tmp_path: Path,
    platform: WeChatPlatform,
    clock: FakeClock,
    token_home: dict[str, str],
) -> None:
    url = database_url(tmp_path)
    first = await open_bank(
        url, platform, clock, wechat_template_case_update=TEMPLATE, **token_home
    )
    second = await open_bank(
        url, platform, clock, wechat_template_case_update=TEMPLATE, **token_home
    )
    try:
        openids = [platform.new_openid() for _ in range(6)]
        for openid in openids:
            await say(platform, openid, "你好")
        await asyncio.gather(
            *(
                bank.channel.pusher.push(openid, Push("您好"))
                for bank in (first, second)
                for openid in openids
            )
        )
        assert platform.api.token_fetches == 1
        assert sum(len(platform.api.custom_messages(o)) for o in openids) == 12

        platform.api.invalidate_tokens()  # e.g. someone fetched one by hand
        await first.channel.pusher.push(openids[0], Push("第二条"))
        await second.channel.pusher.push(openids[1], Push("第二条"))
        assert platform.api.token_fetches == 2  # one refresh, shared
        assert platform.api.custom_messages(openids[0])[-1].text == "第二条"
        assert platform.api.custom_messages(openids[1])[-1].text == "第二条"
        tokens_in_database = await first.count(WeChatTokenRow)
        if token_home:
            client = Redis.from_url(REDIS_TEST_URL)
            assert await client.exists(f"intake:wechat:token:{DEFAULT_APP_ID}") == 1
            await client.aclose()
            assert tokens_in_database == 0
        else:
            assert tokens_in_database == 1
    finally:
        await close_bank(first)
        await close_bank(second)


async def test_intake_wechat_menu_publishes_the_menu(
    tmp_path: Path, platform: WeChatPlatform
) -> None:
    env = {
        "DATABASE_URL": database_url(tmp_path),
        "WECHAT_TOKEN": DEFAULT_TOKEN,
        "WECHAT_APP_ID": DEFAULT_APP_ID,
        "WECHAT_APP_SECRET": DEFAULT_APP_SECRET,
        "WECHAT_API_BASE_URL": platform.api.base_url,
    }
    assert (await run_intake("db", "upgrade", cwd=tmp_path, env=env))[0] == 0
    code, out, err = await run_intake("wechat", "menu", cwd=tmp_path, env=env)
    assert code == 0, err
    assert out.strip() == "custom menu published"
    assert platform.api.menu == custom_menu()["button"]


def test_long_replies_are_split_for_the_passive_reply() -> None:
    long = Reply("很长的说明。" * 300, (Option("s:submit", "提交"),))
    passive, rest = passive_and_rest([long])
    assert utf8_length(passive) <= 2000 and rest
    assert all(utf8_length(piece) <= 2000 for piece in rest)
    assert rest[-1].endswith("1. 提交")


async def test_compatible_mode_and_voice_notes(
    engine: AsyncEngine, tmp_path: Path, clock: FakeClock
) -> None:
    async with WeChatPlatform(encoding_aes_key=AES_KEY, mode="compat", now=clock) as platform:
        bank = await open_bank(database_url(tmp_path), platform, clock)
        try:
            openid = platform.new_openid()
            assert "1. 投诉" in await say_compat(platform, openid, "你好")
            for answer in ("1", "1", "1", "柜台办理业务时被要求购买理财产品才能办卡。"):
                await say_compat(platform, openid, answer)
            voice = await platform.send_voice(openid, "media-voice-7")
            assert voice.reply is not None and "附件" in (voice.reply.content or "")
            dialogue = await stored_dialogue(
                bank.wiring.engine, CustomerId(Platform.WECHAT, openid)
            )
            assert dialogue is not None
            assert [(a.kind, a.ref) for a in dialogue.attachments] == [("voice", "media-voice-7")]
        finally:
            await close_bank(bank)


async def say_compat(platform: WeChatPlatform, openid: str, text: str) -> str:
    result = await platform.send_text(openid, text)
    assert result.status == 200 and result.reply is not None, result.text
    return result.reply.content or ""


async def test_an_expired_token_is_refreshed_once(bank: Bank, platform: WeChatPlatform) -> None:
    openid = platform.new_openid()
    await say(platform, openid, "你好")
    await bank.channel.pusher.push(openid, Push("第一条"))
    platform.api.expire_tokens()  # 42001 for every token issued so far
    await bank.channel.pusher.push(openid, Push("第二条"))
    assert platform.api.token_fetches == 2
    assert [m.text for m in platform.api.custom_messages(openid)] == ["第一条", "第二条"]


def test_over_long_event_delivery_keys_are_shortened_and_stay_distinct() -> None:
    def key(event_key: str) -> str:
        fields = {"FromUserName": "o" * 64, "MsgType": "event", "Event": "VIEW",
                  "CreateTime": "1793584800", "EventKey": event_key}  # fmt: skip
        return to_inbound(fields, DEFAULT_APP_ID).delivery_key

    short = key("NEW_COMPLAINT")
    assert short.endswith(":view:NEW_COMPLAINT")  # short keys are kept as they are
    first, second = key("https://example.com/" + "a" * 900), key("https://example.com/" + "b" * 900)
    assert len(first) <= DELIVERY_KEY_MAX and len(second) <= DELIVERY_KEY_MAX
    assert first != second and first == key("https://example.com/" + "a" * 900)
