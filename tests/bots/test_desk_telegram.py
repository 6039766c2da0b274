"""The staff desk over Telegram, end to end: invite, register, alert, take, ask, answer,
resolve; masking everywhere but /reveal."""

from __future__ import annotations

import re

from core.cases.classification import Cause, Channel
from core.cases.values import CaseStatus
from core.desk.staff import Role
from intake import admin
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.telegram_support import ALICE, NOW, Desk

AGENT, LEAD, STRANGER = 5001, 5002, 5003
FULL_NAME, FULL_PHONE = "张三丰", "13812348000"


async def set_up_desk(desk: Desk) -> dict[str, str]:
    """Two departments; an invitation for an agent and a lead of 'cards'."""
    assert desk.wiring is not None
    uow = SqlUnitOfWork(desk.wiring.engine)
    await admin.save_department(
        uow, code="cards", name="银行卡部", business=["credit_card", "debit_card"], default=False
    )
    await admin.save_department(uow, code="service", name="客服中心", business=[], default=True)
    codes = {}
    for name, role in (("李坐席", Role.AGENT), ("王主管", Role.LEAD)):
        codes[name], _ = await admin.invite(uow, name=name, role=role, department="cards", now=NOW)
    return codes


async def file_debit_card_complaint(desk: Desk) -> str:
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:complaint")
    branch = await desk.press(ALICE, business, "b:debit_card")
    await desk.press(ALICE, branch, "r:0")
    added = await desk.say(ALICE, f"ATM 吞卡。我是{FULL_NAME}，电话 {FULL_PHONE}，请尽快联系。")
    outcome = await desk.press(ALICE, added, "d:next")
    consent = await desk.press(ALICE, outcome, "o:skip")
    await desk.press(ALICE, consent, "c:yes")
    await desk.say(ALICE, FULL_NAME)
    summary = await desk.say(ALICE, FULL_PHONE)
    confirmation = await desk.press(ALICE, summary, "s:submit")
    match = re.search(r"CP-\d{8}-\d{4}", confirmation.text or "")
    assert match is not None
    return match.group(0)


def staff_texts(desk: Desk, *chats: int) -> list[str]:
    return [m.text or "" for chat in chats for m in desk.api.sent(chat)]


async def test_invite_register_alert_take_ask_answer_resolve(desk: Desk) -> None:
    api = desk.api
    codes = await set_up_desk(desk)
    welcome = await desk.say(AGENT, f"/register {codes['李坐席'].lower()}")
    assert "注册成功" in (welcome.text or "") and "银行卡部" in (welcome.text or "")

    number = await file_debit_card_complaint(desk)
    alert = await api.wait_for_message(AGENT)
    assert number in (alert.text or "") and "张**" in (alert.text or "")
    assert "138****8000" in (alert.text or "")
    assert alert.callback_data == [f"k:take:{number}", f"k:view:{number}"]

    taken = await desk.press(AGENT, alert, f"k:take:{number}")
    assert number in (taken.text or "")
    asked = await desk.say(AGENT, f"/ask {number} 请问吞卡的具体时间？")
    assert "转达" in (asked.text or "")
    question = await api.wait_for_message(ALICE)
    assert "请问吞卡的具体时间？" in (question.text or "") and number in (question.text or "")

    thanks = await desk.say(ALICE, f"昨天下午三点左右，联系我 {FULL_PHONE}")
    assert "已转交" in (thanks.text or "")
    relayed = await api.wait_for_message(AGENT)
    assert "昨天下午三点左右" in (relayed.text or "") and FULL_PHONE not in (relayed.text or "")

    await desk.say(AGENT, f"/classify {number} 2")
    done = await desk.say(AGENT, f"/resolve {number} 银行卡已找回，请携带身份证到网点领取。")
    assert "已答复，结果已发送给客户；待客户评价后办结" in (done.text or "")
    result = await api.wait_for_message(ALICE)
    assert "银行卡已找回" in (result.text or "") and number in (result.text or "")

    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        case = await uow.cases.get(number)
        history = await uow.cases.history(number)
    assert case is not None and case.status is CaseStatus.RESOLVED
    assert case.department == "cards" and case.assignee == "1"
    assert [(e.action, e.actor) for e in history] == [
        ("filed", "customer:telegram:1001"),
        ("assigned", "staff:1"),
        ("started", "staff:1"),
        ("asked_customer", "staff:1"),
        ("customer_replied", "customer:telegram:1001"),
        ("classified", "staff:1"),
        ("resolved", "staff:1"),
    ]

    # The agent may not reveal; a lead may, and that look is audited.
    refused = await desk.say(AGENT, f"/reveal {number}")
    assert "无权" in (refused.text or "")
    await desk.say(LEAD, f"/register {codes['王主管']}")
    details = await desk.say(LEAD, f"/case {number}")
    text = details.text or ""
    assert "张**" in text and "部门：银行卡部，处理人：李坐席" in text
    # The trail in words, with what the customer was asked and told.
    assert "李坐席 向客户提问：请问吞卡的具体时间？" in text
    assert "李坐席 答复客户：银行卡已找回，请携带身份证到网点领取。" in text
    assert "客户 回复：昨天下午三点左右" in text
    assert "staff:" not in text and "asked_customer" not in text and "cards" not in text
    revealed = await desk.say(LEAD, f"/reveal {number}")
    assert FULL_NAME in (revealed.text or "") and FULL_PHONE in (revealed.text or "")
    async with desk.wiring.unit_of_work() as uow:
        last = (await uow.cases.history(number))[-1]
    assert (last.action, last.actor) == ("revealed_contact", "staff:2")

    # Nothing any staff chat received shows the name or phone, but that one answer.
    for text in staff_texts(desk, AGENT, LEAD):
        if text == revealed.text:
            continue
        assert FULL_NAME not in text and FULL_PHONE not in text, text


async def test_a_customer_gets_the_customer_experience_for_staff_commands(desk: Desk) -> None:
    await set_up_desk(desk)
    number = await file_debit_card_complaint(desk)
    for command in (
        f"/take {number}",
        f"/case {number}",
        "/queue",
        "/stats",
        f"/reveal {number}",
        "/register WRONG-CODE",
    ):
        reply = await desk.say(STRANGER, command)
        assert (reply.text or "").startswith("抱歉，没能理解"), (command, reply.text)
        assert number not in (reply.text or "") and "/take" not in (reply.text or "")
        await desk.api.wait_for_message(STRANGER)  # the greeting that follows
    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        assert len(await uow.cases.history(number)) == 1


async def test_queue_paging_and_stats(desk: Desk) -> None:
    codes = await set_up_desk(desk)
    await desk.say(LEAD, f"/register {codes['王主管']}")
    numbers = [await file_debit_card_complaint(desk) for _ in range(12)]
    for _ in numbers:
        await desk.api.wait_for_message(LEAD)  # the alerts
    first = await desk.say(LEAD, "/queue")
    assert "第1/2页，共12件" in (first.text or "")
    assert (first.text or "").count("CP-") == 10 and first.callback_data == ["k:q:dept:2"]
    second = await desk.press(LEAD, first, "k:q:dept:2")
    assert (second.text or "").count("CP-") == 2 and second.callback_data == ["k:q:dept:1"]
    beyond = await desk.say(LEAD, "/queue dept 7")
    assert "第2/2页" in (beyond.text or "") and (beyond.text or "").count("CP-") == 2
    stats = await desk.say(LEAD, "/stats")
    assert "今日新增 12" in (stats.text or "") and "未办结 12" in (stats.text or "")


async def test_classifying_with_buttons_resolving_and_merging_a_repeat(desk: Desk) -> None:
    api = desk.api
    codes = await set_up_desk(desk)
    await desk.say(AGENT, f"/register {codes['李坐席']}")
    await desk.say(LEAD, f"/register {codes['王主管']}")
    number = await file_debit_card_complaint(desk)
    repeat = await file_debit_card_complaint(desk)
    for _ in range(2):
        await api.wait_for_message(AGENT)  # the new-case alerts
        await api.wait_for_message(LEAD)
    await desk.say(AGENT, f"/take {number}")

    # Without a cause the complaint is not answered: the causes come as buttons.
    refused = await desk.say(AGENT, f"/resolve {number} 银行卡已找回。")
    assert f"请先发送 /classify {number}" in (refused.text or "")
    assert refused.callback_data[0] == f"k:classify:{number}:1"
    assert refused.button_texts[:2] == ["服务态度及质量", "服务设施、设备"]
    classified = await desk.press(AGENT, refused, f"k:classify:{number}:2")
    assert classified.text == f"已将 {number} 的投诉原因设为「服务设施、设备」。"

    # The branch the customer chose made it a counter case; staff correct it by button.
    offer = await desk.say(AGENT, f"/channel {number}")
    assert "当前：网点柜面" in (offer.text or "") and "自助设备" in offer.button_texts
    corrected = await desk.press(AGENT, offer, f"k:channel:{number}:2")
    assert corrected.text == f"已将 {number} 的业务发生渠道更正为「自助设备」。"
    assert "现有标签：ATM" in ((await desk.say(AGENT, f"/tag {number} ATM")).text or "")
    assert "现有标签：无" in ((await desk.say(AGENT, f"/untag {number} ATM")).text or "")
    assert "已答复" in ((await desk.say(AGENT, f"/resolve {number} 银行卡已找回。")).text or "")
    await api.wait_for_message(ALICE)  # the result
    await api.wait_for_message(ALICE)  # the survey

    # The same customer's repeat joins the answered case; she is told.
    assert "无权" in ((await desk.say(AGENT, f"/merge {repeat} {number}")).text or "")
    merged = await desk.say(LEAD, f"/merge {repeat} {number}")
    assert merged.text == f"已将 {repeat} 并入 {number}，客户已获告知。"
    told = await api.wait_for_message(ALICE)
    assert repeat in (told.text or "") and f"结果将通过 {number} 答复您" in (told.text or "")
    status = await desk.say(ALICE, f"/status {repeat}")
    assert "已合并办理" in (status.text or "") and number in (status.text or "")

    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        case = await uow.cases.get(number)
        joined = await uow.cases.get(repeat)
        trail = [(e.action, e.actor) for e in await uow.cases.history(number)]
    assert case is not None and joined is not None
    assert case.classification.channel is Channel.SELF_SERVICE
    assert case.classification.cause is Cause.FACILITIES and case.tags == []
    assert (joined.status, joined.merged_into) == (CaseStatus.MERGED, number)
    assert trail[-5:] == [
        ("channel_corrected", "staff:1"),
        ("tagged", "staff:1"),
        ("untagged", "staff:1"),
        ("resolved", "staff:1"),
        ("merged_in", "staff:2"),
    ]
