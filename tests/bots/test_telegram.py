"""The Telegram bot end to end: real python-telegram-bot, the real service and database,
and a Bot API double on loopback speaking HTTP + JSON."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.telegram.webhook import AUTH_HEADER, PATH
from core.cases.classification import BusinessType, Channel
from core.cases.values import Attachment, CaseStatus, CaseType
from core.channel.io import Reply
from core.identity import CustomerId, Platform
from core.messages import CATALOGS
from core.rewards.ledger import RewardReason
from intake.server import build_web_app
from storage.tables import DeliveryRow
from tests.bots.conftest import free_port
from tests.bots.telegram_support import (
    ALICE,
    ANSWER_WAIT,
    BOB,
    NOW,
    Desk,
    file_quick_praise,
    ticking_from,
)
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble, SentMessage
from tests.factories import at
from tests.processes import PIPE, start_intake


async def test_a_complaint_with_a_photo_and_a_shared_contact(desk: Desk) -> None:
    api = desk.api
    greeting = await desk.say(ALICE, "/start")
    assert "投诉" in (greeting.text or "")
    assert greeting.callback_data == [
        "t:complaint",
        "t:suggestion",
        "t:praise",
        "m:status",
        "m:points",
    ]

    business = await desk.press(ALICE, greeting, "t:complaint")
    assert api.unanswered_callbacks() == []
    # The prompt is edited once the choice is recorded, as the next question goes out
    # through the outbox: either may reach the platform first.
    await api.wait_for_call("editMessageText", timeout=ANSWER_WAIT)
    edited = api.message(ALICE, greeting.message_id)
    assert edited is not None and edited["text"].endswith("» 投诉")
    assert "reply_markup" not in edited  # the buttons are gone once used

    branch = await desk.press(ALICE, business, "b:debit_card")
    assert branch.button_texts == ["Pudong Lujiazui", "Jing'an Temple", "线上业务/不涉及网点"]
    description = await desk.press(ALICE, branch, "r:0")
    assert "10–2000" in (description.text or "")
    added = await desk.say(ALICE, "ATM 吞了我的银行卡，网点工作人员不予处理。")
    assert added.callback_data == ["d:next"]
    api.user_photo(ALICE, file_id="AgACAgUAAxkBAAIBphoto", caption="ATM 屏幕")
    photo_ack = await api.wait_for_message(ALICE)
    assert "1" in (photo_ack.text or "")
    outcome = await desk.press(ALICE, photo_ack, "d:next")
    assert "处理结果" in (outcome.text or "")
    consent = await desk.say(ALICE, "今天归还银行卡")
    assert "个人信息" in (consent.text or "")
    name = await desk.press(ALICE, consent, "c:yes")
    phone = await desk.say(ALICE, "张三")
    keyboard = (phone.reply_markup or {}).get("keyboard")
    assert keyboard and keyboard[0][0]["request_contact"] is True

    api.user_contact(ALICE, "8613812348000", "张三")
    summary = await api.wait_for_message(ALICE)
    assert "13812348000" in (summary.text or "") and "Pudong Lujiazui" in (summary.text or "")
    confirmation = await desk.press(ALICE, summary, "s:submit")

    text = confirmation.text or ""
    assert "CP-20261102-0001" in text
    assert "2026年11月5日 10:00" in text  # 3 working days, as a local date
    [case] = await desk.cases(ALICE)
    assert case.number == "CP-20261102-0001" and case.type is CaseType.COMPLAINT
    assert case.classification.channel is Channel.COUNTER  # a branch chosen: its counter
    assert case.classification.business_type is BusinessType.DEBIT_CARD
    assert case.attachments == [Attachment("photo", "AgACAgUAAxkBAAIBphoto", "ATM 屏幕")]
    assert (case.contact.name, case.contact.phone) == ("张三", "13812348000")
    assert case.contact.consent_at is not None
    assert timedelta(0) <= case.contact.consent_at - NOW < timedelta(minutes=1)
    assert case.desired_outcome == "今天归还银行卡"
    assert timedelta(0) <= case.due_at - at("2026-11-05 10:00") < timedelta(minutes=1)
    assert name.text  # every step answered


async def test_a_suggestion_in_english(desk: Desk) -> None:
    greeting = await desk.say(BOB, "hello", language="en")
    assert "Welcome" in (greeting.text or "")
    business = await desk.press(BOB, greeting, "t:suggestion")
    branch = await desk.press(BOB, business, "b:payment_settlement")
    where = await desk.press(BOB, branch, "r:online")
    ask = await desk.press(BOB, where, "w:online_banking")
    added = await desk.say(BOB, "Let me name my saved transfer recipients.")
    consent = await desk.press(BOB, added, "d:next")
    assert consent.callback_data == ["c:yes"]
    await desk.press(BOB, consent, "c:yes")
    await desk.say(BOB, "Bob Smith")
    summary = await desk.say(BOB, "+44 7700 900123")
    confirmation = await desk.press(BOB, summary, "s:submit")
    assert "SG-20261102-0001" in (confirmation.text or "")
    assert "09 Nov 2026, 10:00" in (confirmation.text or "")
    assert ask.text


async def test_an_anonymous_praise(desk: Desk) -> None:
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:praise")
    branch = await desk.press(ALICE, business, "b:other")
    await desk.press(ALICE, branch, "r:1")
    added = await desk.say(ALICE, "李经理耐心细致地帮我办完了业务，非常感谢！")
    consent = await desk.press(ALICE, added, "d:next")
    summary = await desk.press(ALICE, consent, "c:anon")
    assert "匿名" in (summary.text or "")
    confirmation = await desk.press(ALICE, summary, "s:submit")
    assert "PR-20261102-0001" in (confirmation.text or "")
    [case] = await desk.cases(ALICE)
    assert case.contact.is_anonymous and case.branch == "Jing'an Temple"


async def test_status_of_ones_own_case_and_of_someone_elses(desk: Desk) -> None:
    mine = await file_quick_praise(desk, ALICE)
    theirs = await file_quick_praise(desk, BOB)

    own = await desk.say(ALICE, f"/status {mine.lower()}")
    assert mine in (own.text or "") and "已受理" in (own.text or "")
    assert "2026年11月9日" in (own.text or "")

    other = await desk.say(ALICE, f"/status {theirs}")
    missing = await desk.say(ALICE, "/status PR-20991231-9999")
    assert (other.text or "").replace(theirs, "#") == (missing.text or "").replace(
        "PR-20991231-9999", "#"
    )
    assert "PR-20261102" not in (other.text or "").replace(theirs, "#")

    listing = await desk.say(ALICE, "/mycases")
    assert mine in (listing.text or "") and theirs not in (listing.text or "")


async def test_cancel_midway_files_nothing(desk: Desk) -> None:
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:complaint")
    await desk.press(ALICE, business, "b:loans")
    cancelled = await desk.say(ALICE, "/cancel")
    assert "已取消" in (cancelled.text or "")
    menu = await desk.api.wait_for_message(ALICE)
    assert "t:complaint" in menu.callback_data
    assert await desk.cases(ALICE) == []


async def test_a_restart_mid_dialogue_resumes_at_the_same_step(desk: Desk) -> None:
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:complaint")
    branch = await desk.press(ALICE, business, "b:credit_card")

    await desk.stop()  # the whole service goes away, in-memory state with it
    await desk.start()

    # A button from before the restart still works, and the dialogue is where it was.
    where = await desk.press(ALICE, branch, "r:online")
    assert "渠道" in (where.text or "") and "手机银行" in where.button_texts
    description = await desk.press(ALICE, where, "w:mobile_app")
    assert "10–2000" in (description.text or "")
    added = await desk.say(ALICE, "信用卡年费被重复扣收了两次。")
    outcome = await desk.press(ALICE, added, "d:next")
    assert "处理结果" in (outcome.text or "")


async def test_a_redelivered_update_acts_once(desk: Desk) -> None:
    api = desk.api
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:complaint")
    branch = await desk.press(ALICE, business, "b:loans")
    where = await desk.press(ALICE, branch, "r:online")
    await desk.press(ALICE, where, "w:online_banking")
    update = api.user_text(ALICE, "The loan statement shows a fee nobody mentioned.")
    await api.wait_for_message(ALICE)
    api.redeliver(update)
    await api.wait_until_confirmed(update["update_id"])
    # A later message is answered normally, and nothing was sent for the redelivery.
    before = len(api.sent(ALICE))
    help_reply = await desk.say(ALICE, "/help")
    assert "/status" in (help_reply.text or "")
    prompt = await api.wait_for_message(ALICE)  # the step's prompt again
    assert prompt.callback_data == ["d:next"]
    assert len(api.sent(ALICE)) == before + 2
    summary_text = await _summary_after_description(desk, prompt)
    assert summary_text.count("nobody mentioned") == 1


async def _summary_after_description(desk: Desk, prompt: SentMessage) -> str:
    outcome = await desk.press(ALICE, prompt, "d:next")
    consent = await desk.press(ALICE, outcome, "o:skip")
    await desk.press(ALICE, consent, "c:yes")
    await desk.say(ALICE, "张三")
    summary = await desk.say(ALICE, "13812348000")
    return summary.text or ""


async def test_a_429_is_retried_after_retry_after(desk: Desk) -> None:
    desk.api.throttle("sendMessage", retry_after=1)
    greeting = await desk.say(ALICE, "/start")
    assert "t:complaint" in greeting.callback_data
    assert desk.api.attempts("sendMessage") == 2


async def test_long_texts_are_split_within_telegrams_limit(desk: Desk) -> None:
    assert desk.wiring is not None and desk.wiring.telegram is not None
    long_text = "\n".join(f"第{i}行：" + "很长的处理结果说明。" * 20 for i in range(60))
    await desk.wiring.telegram.send(ALICE, [Reply(long_text)])
    pieces = [m.text or "" for m in desk.api.sent(ALICE)]
    assert len(pieces) >= 3 and all(0 < len(p) <= 4096 for p in pieces)
    assert "\n".join(pieces) == long_text


async def test_commands_are_registered_per_language(desk: Desk) -> None:
    default = desk.api.commands()
    english = desk.api.commands(language_code="en")
    assert [c["command"] for c in default] == [c["command"] for c in english]
    assert {"start", "status", "mycases", "cancel", "help"} <= {c["command"] for c in default}
    assert next(c for c in english if c["command"] == "status")["description"] == (
        "Where my case stands"
    )
    assert next(c for c in default if c["command"] == "status")["description"] == "查询进度"


async def test_webhook_mode_checks_the_secret(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    desk = Desk(database_url(tmp_path), telegram_api, ticking_from(NOW))
    wiring = await desk.start(telegram_webhook_url=url, telegram_webhook_secret="s3cret-Token_1")
    server = TestServer(build_web_app(wiring), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        assert telegram_api.webhook is not None
        assert telegram_api.webhook.url == url
        assert telegram_api.webhook.secret_token == "s3cret-Token_1"

        update = telegram_api.user_text(ALICE, "/start", enqueue=False)
        assert await telegram_api.deliver_to_webhook(update) == 200
        greeting = await telegram_api.wait_for_message(ALICE)
        assert "t:complaint" in greeting.callback_data
        assert await telegram_api.deliver_to_webhook(update) == 200  # redelivered: no effect

        stranger = telegram_api.user_text(BOB, "/start", enqueue=False)
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {AUTH_HEADER: "s3cret-Token_2"}, {AUTH_HEADER: ""}):
                async with session.post(url, json=stranger, headers=headers) as response:
                    assert response.status == 403
            async with session.post(
                url, data=b"{not json", headers={AUTH_HEADER: "s3cret-Token_1"}
            ) as response:
                assert response.status == 400

        async with wiring.unit_of_work() as uow:
            handled = await uow.cases._session.scalar(select(func.count()).select_from(DeliveryRow))
        assert handled == 1  # only the genuine delivery, once
        assert telegram_api.sent(BOB) == []
        assert len(telegram_api.sent(ALICE)) == 1
    finally:
        await server.close()
        await desk.stop()


def test_status_words_exist_for_every_status() -> None:
    for status in CaseStatus:
        assert f"status.{status.value}" in CATALOGS["en"]


async def test_intake_serve_runs_the_bot(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    """The composition root: a real `intake serve` process polls the Bot API and answers."""
    env = {
        "DATABASE_URL": database_url(tmp_path),
        "INTAKE_HTTP_PORT": "0",
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_API_BASE_URL": telegram_api.root_url,
    }
    process = await start_intake("serve", cwd=tmp_path, env=env, stderr=PIPE)
    assert process.stderr is not None
    try:
        await telegram_api.wait_for_long_poll(timeout=20)
        telegram_api.user_text(ALICE, "/start", "en")
        greeting = await telegram_api.wait_for_message(ALICE, timeout=10)
        assert "Welcome" in (greeting.text or "")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
        logs = [json.loads(line) for line in (await process.stderr.read()).splitlines()]
        assert any(e["msg"] == "telegram channel started" and e["mode"] == "polling" for e in logs)
        assert logs[-1]["msg"] == "stopped"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_praise_earns_points_once_and_they_show(desk: Desk) -> None:
    number = await file_quick_praise(desk, ALICE)
    earned = desk.api.sent(ALICE)[-1]  # right after the confirmation
    assert "获得 10 积分（提交表扬），当前共 10 积分" in (earned.text or "")
    points = await desk.say(ALICE, "/points")
    assert (points.text or "").splitlines()[0] == "您当前有 10 积分。"
    assert "提交表扬" in (points.text or "")
    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:  # a retried award pays nothing more
        customer = CustomerId(Platform.TELEGRAM, str(ALICE))
        again = await uow.rewards.award(customer, RewardReason.PRAISE_FILED, 10, number, NOW)
        assert again is False
        assert await uow.rewards.balance(customer) == 10
