"""The classifying commands on the fake desk: /classify, /channel, /tag, /untag, /merge,
and /resolve refused for a complaint without its cause."""

from __future__ import annotations

import pytest

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Cause, Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseStatus
from core.channel.io import Choice
from core.desk.service import DeskService
from core.messages import t
from tests.factories import ALICE, BOB, at, draft, filed_case
from tests.fakes import InMemoryDatabase
from tests.unit.bank import AGENT, LEAD, SUPERVISOR, as_stored, command, incoming, open_bank

FILED = at("2026-11-02 10:00")
NOW = at("2026-11-03 10:00")


async def file(db: InMemoryDatabase, calendar: WorkingCalendar, **overrides: object) -> str:
    case = await filed_case(
        db.unit_of_work(),
        draft(department="cards", **overrides),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=FILED,
    )
    return case.number


@pytest.fixture
async def number(db: InMemoryDatabase, calendar: WorkingCalendar, desk: DeskService) -> str:
    """ALICE's complaint, no cause yet, taken by the cards agent."""
    open_bank(db)
    number = await file(db, calendar)
    await command(desk, AGENT, f"/take {number}", NOW)
    return number


async def test_classify_offers_the_causes_in_words_and_a_press_sets_one(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    outcome = await desk.handle(incoming(AGENT, f"/classify {number}"), NOW)
    assert outcome is not None
    [offer] = outcome.replies
    assert offer.text == t("zh", "desk.classify.choose", number=number, current="未定")
    assert [o.key for o in offer.options] == [
        f"k:classify:{number}:{i}" for i in range(1, len(Cause) + 1)
    ]
    assert [o.label for o in offer.options] == [t("zh", f"cause.{c.value}") for c in Cause]
    pressed = await desk.handle(incoming(AGENT, Choice(f"k:classify:{number}:6")), NOW)
    assert pressed is not None
    assert [r.text for r in pressed.replies] == [
        f"已将 {number} 的投诉原因设为「收费定价、收益」。"
    ]
    assert db.case(number).classification.cause is Cause.FEES_RETURNS
    event = db.history(number)[-1]
    assert (event.action, event.after["classification"]["cause"]) == ("classified", "fees_returns")
    # The same again records nothing; a name or a code typed works as the number does.
    events = len(db.history(number))
    same = await command(desk, AGENT, f"/classify {number} 收费定价、收益", NOW)
    assert same == [f"{number} 的投诉原因已是「收费定价、收益」，未作更改。"]
    assert len(db.history(number)) == events
    assert await command(desk, AGENT, f"/classify {number} service", NOW) == [
        f"已将 {number} 的投诉原因设为「服务态度及质量」。"
    ]
    unknown = await desk.handle(incoming(AGENT, f"/classify {number} 天气"), NOW)
    assert unknown is not None and unknown.replies[0].text.startswith("没有这个原因。")
    assert len(unknown.replies[0].options) == len(Cause)
    assert db.case(number).classification.cause is Cause.SERVICE


async def test_channel_is_corrected_by_number_and_shown_with_the_case(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    offer = await desk.handle(incoming(AGENT, f"/channel {number}"), NOW)
    assert offer is not None
    assert offer.replies[0].text == t(
        "zh", "desk.channel.choose", number=number, current="银行公众号"
    )
    assert [o.label for o in offer.replies[0].options][:2] == ["网点柜面", "自助设备"]
    assert await command(desk, AGENT, f"/channel {number} 2", NOW) == [
        f"已将 {number} 的业务发生渠道更正为「自助设备」。"
    ]
    assert db.case(number).classification.channel is Channel.SELF_SERVICE
    await command(desk, AGENT, f"/tag {number} ATM 吞卡", NOW)
    [details] = await command(desk, AGENT, f"/case {number}", NOW)
    assert "渠道：自助设备，原因：未定，标签：ATM 吞卡" in details
    assert "更正业务发生渠道：自助设备" in details and "添加标签：ATM 吞卡" in details


async def test_tags_are_added_and_removed_and_repeats_change_nothing(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    assert await command(desk, AGENT, f"/tag {number} 吞卡", NOW) == [
        f"已为 {number} 添加标签；现有标签：吞卡。"
    ]
    assert await command(desk, AGENT, f"/tag {number} VIP", NOW) == [
        f"已为 {number} 添加标签；现有标签：吞卡、VIP。"
    ]
    before = as_stored(db, number)
    assert await command(desk, AGENT, f"/tag {number} VIP", NOW) == [
        f"{number} 已有该标签，未作更改；现有标签：吞卡、VIP。"
    ]
    assert await command(desk, AGENT, f"/untag {number} 其他", NOW) == [
        f"{number} 没有该标签，未作更改；现有标签：吞卡、VIP。"
    ]
    assert as_stored(db, number)[1:] == before[1:]
    assert await command(desk, AGENT, f"/untag {number} 吞卡", NOW) == [
        f"已删除 {number} 的标签；现有标签：VIP。"
    ]
    assert db.case(number).tags == ["VIP"]
    assert [e.action for e in db.history(number)][-3:] == ["tagged", "tagged", "untagged"]


async def test_only_the_handler_a_lead_or_a_supervisor_classifies(
    db: InMemoryDatabase, calendar: WorkingCalendar, desk: DeskService
) -> None:
    open_bank(db)
    number = await file(db, calendar)
    assert "服务态度及质量" in (await command(desk, AGENT, f"/classify {number} 1", NOW))[0]
    await command(desk, LEAD, f"/take {number}", NOW)  # a colleague holds it now
    before = as_stored(db, number)
    for text in (f"/classify {number} 1", f"/channel {number} 1", f"/tag {number} x"):
        assert await command(desk, AGENT, text, NOW) == [
            t("zh", "desk.classify.not_handler", number=number)
        ]
    assert as_stored(db, number) == before
    assert "服务设施、设备" in (await command(desk, LEAD, f"/classify {number} 2", NOW))[0]
    assert "自助设备" in (await command(desk, SUPERVISOR, f"/channel {number} 2", NOW))[0]


async def test_a_complaint_without_cause_is_not_resolved_and_the_causes_are_offered(
    db: InMemoryDatabase, desk: DeskService, number: str
) -> None:
    before = as_stored(db, number)
    outcome = await desk.handle(incoming(AGENT, f"/resolve {number} 卡已找回。"), NOW)
    assert outcome is not None
    [refusal] = outcome.replies
    assert refusal.text == (
        f"无法执行，未作更改：投诉 {number} 尚未设置投诉原因（监管按原因统计投诉）："
        f"请先发送 /classify {number} 设置原因。"
    )
    assert refusal.options[0].key == f"k:classify:{number}:1"
    assert as_stored(db, number) == before and db.sent_to(ALICE) == []
    await command(desk, AGENT, f"/classify {number} 2", NOW)
    await command(desk, AGENT, f"/resolve {number} 卡已找回。", NOW)
    assert db.case(number).status is CaseStatus.RESOLVED


async def test_a_lead_merges_a_repeat_into_the_earlier_case_and_the_customer_is_told(
    db: InMemoryDatabase, calendar: WorkingCalendar, desk: DeskService, number: str
) -> None:
    repeat = await filed_case(
        db.unit_of_work(),
        draft(department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=NOW,
    )
    other = await file(db, calendar, customer=BOB)
    assert await command(desk, AGENT, f"/merge {repeat.number} {number}", NOW) == [
        t("zh", "desk.forbidden")
    ]
    refusals = {
        f"/merge {repeat.number} {repeat.number}": "案件不能并入自身",
        f"/merge {repeat.number} {other}": "不是同一位客户的反馈",
        f"/merge {number} {repeat.number}": f"（/merge {repeat.number} {number}）",
        f"/merge {repeat.number} CP-20260101-0099": "在您的处理范围内没有案件 CP-20260101-0099",
    }
    for text, reason in refusals.items():
        [said] = await command(desk, LEAD, text, NOW)
        assert reason in said, text
    assert db.case(repeat.number).status is CaseStatus.NEW
    assert await command(desk, LEAD, f"/merge {repeat.number} {number}", NOW) == [
        f"已将 {repeat.number} 并入 {number}，客户已获告知。"
    ]
    merged = db.case(repeat.number)
    assert (merged.status, merged.merged_into) == (CaseStatus.MERGED, number)
    assert db.history(repeat.number)[-1].action == "merged"
    assert (db.history(number)[-1].action, db.history(number)[-1].note) == (
        "merged_in",
        repeat.number,
    )
    [told] = db.sent_to(ALICE)
    assert repeat.number in told.text and f"结果将通过 {number} 答复您" in told.text
    # Finished: nothing more is done to it, and the refusal says why.
    [again] = await command(desk, LEAD, f"/merge {repeat.number} {number}", NOW)
    assert again.startswith("无法执行，未作更改：") and "已合并办理" in again
    [stats] = await command(desk, LEAD, "/stats", NOW)
    assert "未办结 2" in stats  # the earlier case and Bob's: the merged one is not open
