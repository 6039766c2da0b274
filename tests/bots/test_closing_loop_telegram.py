"""Closing the loop over Telegram, end to end: the result, the satisfaction survey, its
points (once, however often the button arrives), a low rating's reopen, and the points
for an adopted suggestion."""

from __future__ import annotations

import re

from core.cases.values import CaseStatus
from core.identity import CustomerId, Platform
from core.rewards.ledger import RewardReason
from tests.bots.telegram_support import ALICE, Desk
from tests.bots.test_desk_telegram import AGENT, LEAD, set_up_desk
from tests.bots.test_desk_telegram import file_debit_card_complaint as file_complaint


async def register_staff(desk: Desk) -> None:
    codes = await set_up_desk(desk)
    await desk.say(AGENT, f"/register {codes['李坐席']}")
    await desk.say(LEAD, f"/register {codes['王主管']}")


async def resolved_complaint(desk: Desk) -> tuple[str, int]:
    """A complaint filed, taken and resolved; returns its number and the survey's id."""
    number = await file_complaint(desk)
    await desk.api.wait_for_message(AGENT)  # the new-case alert
    await desk.api.wait_for_message(LEAD)
    await desk.say(LEAD, f"/classify {number} 6")
    assert "已答复" in ((await desk.say(AGENT, f"/resolve {number} 已为您退回费用。")).text or "")
    result = await desk.api.wait_for_message(ALICE)
    assert "已为您退回费用。" in (result.text or "") and number in (result.text or "")
    survey = await desk.api.wait_for_message(ALICE)
    assert number in (survey.text or "") and "满意" in (survey.text or "")
    assert survey.callback_data == [*(f"v:{number}:{s}" for s in range(1, 6)), f"v:{number}:later"]
    return number, survey.message_id


async def survey_points(desk: Desk) -> list[int]:
    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        entries = await uow.rewards.recent(CustomerId(Platform.TELEGRAM, str(ALICE)), 50)
    return [e.points for e in entries if e.reason is RewardReason.SURVEY_ANSWERED]


async def test_five_stars_close_the_case_and_earn_points_once(desk: Desk) -> None:
    api = desk.api
    await register_staff(desk)
    number, survey = await resolved_complaint(desk)

    press = api.callback(ALICE, f"v:{number}:5", survey)
    thanks = await api.wait_for_message(ALICE)
    assert "5分" in (thanks.text or "") and "获得 5 积分" in (thanks.text or "")
    assert thanks.callback_data == [f"v:{number}:skip"]  # an optional comment next

    # The same update delivered again, and a second press of the same button.
    api.redeliver(press)
    await api.wait_until_confirmed(press["update_id"])
    api.callback(ALICE, f"v:{number}:5", survey)
    again = await api.wait_for_message(ALICE)
    assert "评价已结束" in (again.text or "")
    assert await survey_points(desk) == [5]

    commented = await desk.say(ALICE, "处理很快，谢谢！")
    assert "已记录" in (commented.text or "")
    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        case = await uow.cases.get(number)
        balance = await uow.rewards.balance(CustomerId(Platform.TELEGRAM, str(ALICE)))
    assert case is not None and case.status is CaseStatus.CLOSED
    assert (case.satisfaction, case.satisfaction_comment) == (5, "处理很快，谢谢！")
    assert balance == 5
    stats = await desk.say(LEAD, "/stats")
    assert "本月满意率 100%（1/1）" in (stats.text or "")
    # The customer is back at the menu: the survey no longer claims their words.
    assert (await desk.say(ALICE, "/start")).callback_data[0] == "t:complaint"


async def test_one_star_offers_to_reopen_alerts_the_lead_and_reopens(desk: Desk) -> None:
    api = desk.api
    await register_staff(desk)
    number, survey = await resolved_complaint(desk)

    api.callback(ALICE, f"v:{number}:1", survey)
    sorry = await api.wait_for_message(ALICE)
    assert "很抱歉" in (sorry.text or "")
    assert sorry.callback_data == [f"v:{number}:reopen", f"v:{number}:close"]
    alert = await api.wait_for_message(LEAD)
    assert number in (alert.text or "") and "1/5" in (alert.text or "")

    # Words typed now are the comment; the offer stays open and the lead hears them.
    noted = await desk.say(ALICE, "钱还没有退回来")
    assert "已记录" in (noted.text or "") and noted.callback_data == sorry.callback_data
    assert "钱还没有退回来" in ((await api.wait_for_message(LEAD)).text or "")

    reopened = await desk.press(ALICE, noted, f"v:{number}:reopen")
    assert "已重新办理" in (reopened.text or "") and number in (reopened.text or "")
    for staff in (AGENT, LEAD):
        told = await api.wait_for_message(staff)
        assert "重新开启" in (told.text or "") and number in (told.text or "")

    assert desk.wiring is not None
    async with desk.wiring.unit_of_work() as uow:
        case = await uow.cases.get(number)
        history = await uow.cases.history(number)
    assert case is not None and case.status is CaseStatus.REOPENED
    assert case.satisfaction is None  # the next resolution is rated afresh
    assert [e.action for e in history][-4:] == ["resolved", "rated", "rating_commented", "reopened"]
    assert history[-1].actor == f"customer:telegram:{ALICE}"
    assert case.due_at > history[-1].at

    # The case is worked again and resolved: a new survey, and the points stay single.
    await desk.say(AGENT, f"/resolve {number} 已再次核实并退回。")
    await api.wait_for_message(ALICE)
    second = await api.wait_for_message(ALICE)
    api.callback(ALICE, f"v:{number}:4", second.message_id)
    assert "4分" in ((await api.wait_for_message(ALICE)).text or "")
    assert await survey_points(desk) == [5]
    # A case counts with its latest rating; the first one stays in its trail.
    stats = await desk.say(LEAD, "/stats")
    assert "本月满意率 100%（1/1）" in (stats.text or "")


async def test_an_adopted_suggestion_earns_points_and_asks_for_a_rating(desk: Desk) -> None:
    api = desk.api
    await register_staff(desk)
    greeting = await desk.say(ALICE, "/start")
    business = await desk.press(ALICE, greeting, "t:suggestion")
    branch = await desk.press(ALICE, business, "b:debit_card")
    where = await desk.press(ALICE, branch, "r:online")
    await desk.press(ALICE, where, "w:mobile_app")
    added = await desk.say(ALICE, "希望手机银行可以设置借记卡的单日限额。")
    consent = await desk.press(ALICE, added, "d:next")
    await desk.press(ALICE, consent, "c:yes")
    await desk.say(ALICE, "李四")
    summary = await desk.say(ALICE, "13912345678")
    confirmation = await desk.press(ALICE, summary, "s:submit")
    found = re.search(r"SG-\d{8}-\d{4}", confirmation.text or "")
    assert found is not None
    number = found.group(0)
    assert "获得 10 积分" in ((await api.wait_for_message(ALICE)).text or "")

    await api.wait_for_message(LEAD)  # the new-case alert
    assert number in ((await desk.say(LEAD, f"/adopt {number} 下个版本上线")).text or "")
    adopted = await api.wait_for_message(ALICE)
    assert "采纳" in (adopted.text or "")
    points = await api.wait_for_message(ALICE)
    assert "获得 50 积分" in (points.text or "") and "共 60 积分" in (points.text or "")
    survey = await api.wait_for_message(ALICE)
    assert survey.callback_data[0] == f"v:{number}:1"
