"""Customers get an answer to everything, over Telegram end to end: stickers, locations,
contacts and files at every step; words and photos added to an open case after filing;
the voucher menu and the codes issued; a long answer to /ask; /extend past the ceiling."""

from __future__ import annotations

import re
from typing import Any

from telegram import Update

from bots.telegram.convert import to_incoming
from core.cases.values import Attachment
from core.channel.io import Media, SharedContact, Unsupported
from core.identity import CustomerId, Platform
from intake import admin
from storage.outbox import FAILED, PENDING, SENT, SqlOutboxQueue
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.telegram_support import ALICE, Desk, file_quick_praise
from tests.bots.test_desk_telegram import AGENT, LEAD, file_debit_card_complaint, set_up_desk
from tests.doubles.telegram_bot_api import SentMessage

STICKER = "抱歉，暂时无法处理贴纸。"
LOCATION = "抱歉，暂时无法处理位置信息。"
CONTACT = "抱歉，暂时无法处理联系人名片。"
NOT_UNDERSTOOD = "抱歉，没能理解您的意思。"
MASKED = "张** 138****8000"


async def odd_inputs_are_answered(desk: Desk, prompt: SentMessage, *, contact: str) -> None:
    """A sticker, a location, a venue and a contact card each get the step asked again."""
    api = desk.api
    for send, first in (
        (lambda: api.user_sticker(ALICE), STICKER),
        (lambda: api.user_location(ALICE), LOCATION),
        (lambda: api.user_location(ALICE, venue="陆家嘴支行"), LOCATION),
        (lambda: api.user_contact(ALICE, "+8613812348000"), contact),
    ):
        send()
        reply = await api.wait_for_message(ALICE)
        assert reply.text == f"{first}\n{prompt.text}", reply.text
        assert reply.button_texts == prompt.button_texts
        assert reply.callback_data == prompt.callback_data


async def register(desk: Desk) -> None:
    codes = await set_up_desk(desk)
    await desk.say(AGENT, f"/register {codes['李坐席']}")
    await desk.say(LEAD, f"/register {codes['王主管']}")


async def queued_for(desk: Desk, chat: int) -> list[str]:
    """Every message the outbox ever held for a chat, whatever became of it."""
    assert desk.wiring is not None
    rows = await SqlOutboxQueue(desk.wiring.engine).listing((PENDING, SENT, FAILED))
    return [r.text for r in rows if r.address == str(chat)]


async def history(desk: Desk, number: str) -> list[tuple[str, str, str | None]]:
    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        return [(e.action, e.actor, e.note) for e in await uow.cases.history(number)]


async def test_stickers_locations_contacts_and_files_at_every_step(desk: Desk) -> None:
    api = desk.api
    greeting = await desk.say(ALICE, "/start")
    await odd_inputs_are_answered(desk, greeting, contact=CONTACT)
    business = await desk.press(ALICE, greeting, "t:complaint")
    await odd_inputs_are_answered(desk, business, contact=NOT_UNDERSTOOD)
    api.user_document(ALICE, caption="对账单")
    refused = await api.wait_for_message(ALICE)
    assert refused.text == f"{NOT_UNDERSTOOD}\n{business.text}"
    branch = await desk.press(ALICE, business, "b:debit_card")
    await odd_inputs_are_answered(desk, branch, contact=NOT_UNDERSTOOD)
    description = await desk.press(ALICE, branch, "r:0")
    await odd_inputs_are_answered(desk, description, contact=NOT_UNDERSTOOD)
    statement = api.user_document(ALICE, caption="对账单")
    added = await api.wait_for_message(ALICE)
    assert added.text == "已收到附件（共1个）。\n请先用文字描述具体情况。"
    described = await desk.say(ALICE, "ATM 吞卡，网点说要等三天。")
    outcome = await desk.press(ALICE, described, "d:next")
    await odd_inputs_are_answered(desk, outcome, contact=NOT_UNDERSTOOD)
    consent = await desk.press(ALICE, outcome, "o:skip")
    await odd_inputs_are_answered(desk, consent, contact=NOT_UNDERSTOOD)
    name = await desk.press(ALICE, consent, "c:yes")
    phone = await desk.say(ALICE, "张三丰")
    api.user_sticker(ALICE)
    reply = await api.wait_for_message(ALICE)
    assert reply.text == f"{STICKER}\n{phone.text}" and reply.button_texts == ["分享我的手机号"]
    summary = await desk.say(ALICE, "13812348000")
    await odd_inputs_are_answered(desk, summary, contact=NOT_UNDERSTOOD)
    assert name.text == "请输入您的姓名。"
    confirmation = await desk.press(ALICE, summary, "s:submit")
    assert "受理编号" in (confirmation.text or "")

    # Nothing odd reached the case: the words typed, and the one file that was sent.
    [case] = await desk.cases(ALICE)
    file_id = statement["message"]["document"]["file_id"]
    assert case.description == "ATM 吞卡，网点说要等三天。"
    assert case.attachments == [Attachment("document", file_id, "对账单")]
    assert case.contact.name == "张三丰" and case.contact.phone == "13812348000"


async def test_words_and_photos_after_filing_go_to_the_chosen_case(desk: Desk) -> None:
    api = desk.api
    await register(desk)
    number = await file_debit_card_complaint(desk)
    await api.wait_for_message(AGENT)  # the new-case alerts
    await api.wait_for_message(LEAD)
    await desk.say(AGENT, f"/take {number}")
    filed = await history(desk, number)

    photo = api.user_photo(ALICE, caption="ATM 屏幕")
    asked = await api.wait_for_message(ALICE)
    assert asked.text == f"您的反馈 {number} 正在办理中。要把刚才发送的内容补充到这件反馈吗？"
    assert asked.callback_data == [f"a:{number}", "a:no"]
    assert asked.button_texts == [f"补充到投诉 {number}", "不用，显示菜单"]
    more = await desk.say(ALICE, "另外，被吞的是尾号 1234 的卡。")
    assert more.text == "已收到，待补充的内容共 2 条。\n" + (asked.text or "")
    assert await history(desk, number) == filed  # nothing is added before the choice

    done = await desk.press(ALICE, more, f"a:{number}")
    assert done.text == f"已补充到 {number}（2 条），并已转告处理人员。"
    photo_id = photo["message"]["photo"][-1]["file_id"]
    actor = f"customer:telegram:{ALICE}"
    assert await history(desk, number) == [
        *filed,
        ("attached", actor, None),
        ("customer_replied", actor, "[photo] ATM 屏幕"),
        ("customer_replied", actor, "另外，被吞的是尾号 1234 的卡。"),
    ]
    [case] = await desk.cases(ALICE)
    assert case.attachments == [Attachment("photo", photo_id, "ATM 屏幕")]

    # The assignee is told who and which case, masked, and sees the photo; the lead is not.
    told = await api.wait_for_message(AGENT)
    assert told.text == (
        f"{MASKED} 为投诉 {number} 补充了内容：\n[photo] ATM 屏幕\n另外，被吞的是尾号 1234 的卡。"
    )
    assert told.callback_data == [f"k:view:{number}"]
    resent = await api.wait_for_message(AGENT)
    assert resent.method == "sendPhoto" and resent.params["photo"] == photo_id
    assert not any("补充了内容" in text for text in await queued_for(desk, LEAD))

    # A second press of the same button (a double tap) adds nothing twice.
    api.callback(ALICE, f"a:{number}", more.message_id)
    again = await api.wait_for_message(ALICE)
    assert (again.text or "").startswith("该按钮已失效。")
    assert len(await history(desk, number)) == len(filed) + 3


async def test_with_two_open_cases_the_customer_chooses_and_may_decline(desk: Desk) -> None:
    api = desk.api
    await register(desk)
    first = await file_debit_card_complaint(desk)
    second = await file_debit_card_complaint(desk)
    for _ in range(2):
        await api.wait_for_message(AGENT)
        await api.wait_for_message(LEAD)
    before = await history(desk, first)

    asked = await desk.say(ALICE, "忘了说：当时是晚上八点。")
    assert asked.text == "要把刚才发送的内容补充到哪一件正在办理的反馈？"
    assert asked.callback_data == [f"a:{second}", f"a:{first}", "a:no"]
    dropped = await desk.press(ALICE, asked, "a:no")
    assert dropped.text == "好的，未补充到任何反馈。"
    assert "t:complaint" in (await api.wait_for_message(ALICE)).callback_data  # the menu
    assert await history(desk, first) == before

    asked = await desk.say(ALICE, "忘了说：当时是晚上八点。")
    done = await desk.press(ALICE, asked, f"a:{first}")
    assert done.text == f"已补充到 {first}（1 条），并已转告处理人员。"
    assert await history(desk, first) == [
        *before,
        ("customer_replied", f"customer:telegram:{ALICE}", "忘了说：当时是晚上八点。"),
    ]
    # Nobody took it: the department's lead is told.
    told = await api.wait_for_message(LEAD)
    assert told.text == f"{MASKED} 为投诉 {first} 补充了内容：\n忘了说：当时是晚上八点。"
    assert not any("补充了内容" in text for text in await queued_for(desk, AGENT))


async def test_a_long_answer_reaches_staff_as_labelled_pieces(desk: Desk) -> None:
    api = desk.api
    await register(desk)
    number = await file_debit_card_complaint(desk)
    await api.wait_for_message(AGENT)
    await desk.say(AGENT, f"/take {number}")
    await desk.say(AGENT, f"/ask {number} 请详细说明经过。")
    await api.wait_for_message(ALICE)  # the question

    answer = ("当时在网点排队等候，自动柜员机提示故障后吞卡，工作人员说需要三个工作日。" * 200)[
        :5000
    ]
    thanks = await desk.say(ALICE, answer)
    assert thanks.text == "已收到，您的回复已转交工作人员。"
    head = await api.wait_for_message(AGENT)
    tail = await api.wait_for_message(AGENT)
    header = f"{MASKED} 回复了投诉 {number} 的提问：\n"
    label = f"（续 2/2）{number}\n"
    assert (head.text or "").startswith(header) and (tail.text or "").startswith(label)
    assert (head.text or "")[len(header) :] + (tail.text or "")[len(label) :] == answer
    assert head.callback_data == [] and tail.callback_data == [f"k:view:{number}"]
    trail = await history(desk, number)
    assert trail[-1] == ("customer_replied", f"customer:telegram:{ALICE}", answer)


async def test_the_voucher_menu_has_buttons_and_codes_are_listed_again(desk: Desk) -> None:
    assert desk.wiring is not None
    voucher = await admin.add_voucher(
        SqlUnitOfWork(desk.wiring.engine), name="京东卡10元", cost=10, stock=3, valid_days=90
    )
    await file_quick_praise(desk, ALICE)  # 10 points
    menu = await desk.say(ALICE, "/redeem")
    assert menu.text == (
        "可用积分兑换的礼品券（您现有 10 积分）：\n"
        "请选择要兑换的礼品券。已兑换的券码可发送 /vouchers 查看。"
    )
    assert menu.callback_data == [f"y:{voucher.id}", "y:no"]
    assert menu.button_texts == ["京东卡10元 – 10 积分（剩余 3 张）", "取消"]
    confirm = await desk.press(ALICE, menu, f"y:{voucher.id}")
    assert confirm.text == "确认用积分兑换 京东卡10元（10 积分）？"
    issued = await desk.press(ALICE, confirm, f"x:{voucher.id}:yes")
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", issued.text or "")
    assert code is not None

    listed = await desk.say(ALICE, "/vouchers")
    assert listed.text == (
        f"您兑换的礼品券（最新在前）：\n京东卡10元：{code.group(0)}，有效期至 2027年1月31日 10:00"
    )
    privacy = await desk.say(ALICE, "/privacy")
    assert "礼品券 1 张。\n发送 /vouchers 查看礼品券券码。" in (privacy.text or "")
    async with desk.wiring.unit_of_work() as uow:
        assert await uow.rewards.balance(CustomerId(Platform.TELEGRAM, str(ALICE))) == 0
        stocked = await uow.vouchers.get(voucher.id)
    assert stocked is not None and stocked.stock == 2


async def test_extend_past_the_legal_ceiling_says_the_most_there_is(desk: Desk) -> None:
    api = desk.api
    await register(desk)
    number = await file_debit_card_complaint(desk)
    await api.wait_for_message(LEAD)
    before = await history(desk, number)
    told_before = len(api.sent(ALICE))

    refused = await desk.say(LEAD, f"/extend {number} 40 需调取监控")
    assert refused.text == (
        f"无法延长 40 个工作日：将超过 {number} 的法定时限（现为 2026年11月17日 10:00，"
        "主管最多可延至 2026年12月2日 10:00）。本案最多可延长 19 个工作日，至 2026年12月2日 10:00。"
    )
    assert (await desk.say(LEAD, f"/extend {number} 20 需调取监控")).text == (
        (refused.text or "").replace("延长 40 个", "延长 20 个")
    )
    days = await desk.say(LEAD, f"/extend {number} 两天 需调取监控")
    assert days.text == f"工作日数须为大于 0 的整数，例如：/extend {number} 2 原因"
    assert await history(desk, number) == before and len(api.sent(ALICE)) == told_before

    # The most it named is what can be given.
    done = await desk.say(LEAD, f"/extend {number} 19 需调取监控")
    assert done.text == f"{number} 时限延长至 2026年12月2日 10:00，已告知客户。"
    told = await api.wait_for_message(ALICE)
    assert "延长至 2026年12月2日 10:00" in (told.text or "")
    [case] = await desk.cases(ALICE)
    assert [e.days for e in case.extensions] == [15]


def telegram_message(**content: object) -> Update:
    user = {"id": ALICE, "is_bot": False, "first_name": "Alice", "language_code": "zh-hans"}
    message = {
        "message_id": 7,
        "date": 1_790_000_000,
        "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
        "from": user,
        **content,
    }
    return Update.de_json({"update_id": 1, "message": message}, None)


def test_what_each_kind_of_telegram_message_becomes() -> None:
    file = {"file_id": "F1", "file_unique_id": "U1"}
    location = {"latitude": 31.2, "longitude": 121.5}
    sticker = {**file, "type": "regular", "width": 1, "height": 1}
    cases: list[tuple[dict[str, Any], object]] = [
        ({"sticker": {**sticker, "is_animated": False, "is_video": False}}, Unsupported("sticker")),
        ({"location": location}, Unsupported("location")),
        (
            {"location": location, "venue": {"location": location, "title": "T", "address": "A"}},
            Unsupported("location"),
        ),
        ({"dice": {"emoji": "🎲", "value": 3}}, Unsupported("other")),
        ({"video_note": {**file, "length": 240, "duration": 3}}, Media("video_note", "F1", None)),
        ({"document": file, "caption": "对账单"}, Media("document", "F1", "对账单")),
        (
            {"contact": {"phone_number": "+8613812348000", "first_name": "A", "user_id": ALICE}},
            SharedContact("+8613812348000", "A", is_own=True),
        ),
    ]
    for content, expected in cases:
        incoming = to_incoming(telegram_message(**content), bot_id=42)
        assert incoming is not None and incoming.message == expected, content
    # A service message in a private chat (the auto-delete timer changed) gets no answer.
    timer = {"message_auto_delete_timer_changed": {"message_auto_delete_time": 86400}}
    assert to_incoming(telegram_message(**timer), bot_id=42) is None
