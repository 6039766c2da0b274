"""The desk never claims what did not happen: every reply that reports a change comes
with the change recorded, every refusal leaves the case as it was, and the words say
what is true (who holds a case, what a supervisor's queue covers, what "resolved" means).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.classification import Cause, Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseStatus, CaseType, Decision
from core.channel.io import Incoming, Text
from core.desk.service import DeskService
from core.desk.staff import Role
from core.errors import DomainError
from core.identity import CustomerId, Platform
from core.messages import CATALOGS
from intake import admin
from storage.outbox import SqlOutboxQueue
from storage.tables import CaseEventRow, OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at, desk_service, draft, filed_case

NOW = at("2026-11-03 10:00")
TEAM_CHAT = "telegram:-100777"
ANNA, BAO = CustomerId(Platform.TELEGRAM, "7201"), CustomerId(Platform.WECHAT, "oBao")


@dataclass
class Staff:
    platform_id: str
    name: str
    role: Role
    department: str = "cards"


AGENT_A = Staff("9001", "李坐席", Role.AGENT)
AGENT_B = Staff("9002", "周坐席", Role.AGENT)
LEAD = Staff("9003", "王主管", Role.LEAD)
SUPERVISOR = Staff("9004", "陈督导", Role.SUPERVISOR, "hq")
Say = Callable[[Staff, str], Awaitable[str]]


@pytest.fixture
async def say(engine: AsyncEngine, calendar: WorkingCalendar) -> Say:
    uow = SqlUnitOfWork(engine)
    await admin.save_department(uow, code="cards", name="银行卡部", business=[], default=True)
    await admin.save_department(uow, code="hq", name="客户体验部", business=[], default=False)
    await admin.set_department_chat(uow, "cards", TEAM_CHAT)
    desk = desk_service(engine, calendar)

    async def say(who: Staff, text: str) -> str:
        sender = CustomerId(Platform.TELEGRAM, who.platform_id)
        outcome = await desk.handle(Incoming(sender, Text(text), Channel.PUBLIC_PLATFORM), NOW)
        assert outcome is not None, text
        return "\n".join(r.text for r in outcome.replies)

    for person in (AGENT_A, AGENT_B, LEAD, SUPERVISOR):
        code, _ = await admin.invite(
            uow, name=person.name, role=person.role, department=person.department, now=NOW
        )
        assert "注册成功" in await say(person, f"/register {code}")
    return say


async def file(engine: AsyncEngine, calendar: WorkingCalendar, **overrides: object) -> str:
    case = await filed_case(
        SqlUnitOfWork(engine),
        draft(department="cards", **overrides),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-11-02 10:00"),
        cause=Cause.FACILITIES,
    )
    return case.number


async def load(engine: AsyncEngine, number: str) -> Case:
    async with SqlUnitOfWork(engine) as uow:
        case = await uow.cases.get(number)
    assert case is not None
    return case


async def counts(engine: AsyncEngine) -> tuple[int, int]:
    """(audit events, queued messages): what a change leaves behind."""
    async with engine.connect() as conn:
        events = await conn.scalar(select(func.count()).select_from(CaseEventRow))
        messages = await conn.scalar(select(func.count()).select_from(OutboxRow))
    return int(events or 0), int(messages or 0)


async def told(engine: AsyncEngine, address: str) -> list[str]:
    return [m.text for m in await SqlOutboxQueue(engine).listing() if m.address == address]


async def test_take_of_a_colleagues_case_is_refused_for_an_agent_and_a_take_over_for_a_lead(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    number = await file(engine, calendar)
    assert await say(AGENT_A, f"/take {number}") == f"已接手 {number}。"
    case = await load(engine, number)
    assert (case.assignee, case.status) == (await staff_id(engine, AGENT_A), CaseStatus.IN_PROGRESS)
    assert f"{number} 已由 李坐席 接手。" in await told(engine, TEAM_CHAT.split(":")[1])

    before = await counts(engine)
    refusal = await say(AGENT_B, f"/take {number}")
    assert refusal == (
        f"{number} 正由 李坐席 处理，未作更改。如需转交，请主管发送 /assign {number} 员工编号。"
    )
    assert await counts(engine) == before
    assert (await load(engine, number)).assignee == await staff_id(engine, AGENT_A)
    assert await say(AGENT_A, f"/take {number}") == f"{number} 已由您处理，无需再接手。"
    assert await counts(engine) == before

    taken = await say(LEAD, f"/take {number}")
    assert taken == f"已从 李坐席 处接手 {number}，已通知对方。"
    case = await load(engine, number)
    assert (case.assignee, case.status) == (await staff_id(engine, LEAD), CaseStatus.IN_PROGRESS)
    async with SqlUnitOfWork(engine) as uow:
        history = await uow.cases.history(number)
    assert [e.action for e in history][-2:] == ["assigned", "started"]
    assert history[-2].actor == f"staff:{await staff_id(engine, LEAD)}"
    assert f"王主管 已接手您处理的 {number}。" in await told(engine, AGENT_A.platform_id)


async def staff_id(engine: AsyncEngine, who: Staff) -> str:
    async with SqlUnitOfWork(engine) as uow:
        member = await uow.staff.by_identity(Platform.TELEGRAM, who.platform_id)
    assert member is not None
    return str(member.id)


async def test_linked_suggestions_are_decided_and_implemented_with_the_main_one(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    main = await file(engine, calendar, type=CaseType.SUGGESTION, customer=ANNA)
    linked = await file(engine, calendar, type=CaseType.SUGGESTION, customer=BAO)
    assert await say(LEAD, f"/link {linked} {main}") == f"{linked} 已并入 {main}。"

    before = await counts(engine)
    refusal = await say(LEAD, f"/decline {linked} 不需要")
    assert refusal == f"{linked} 已并入 {main}，随其一并处理，未作更改。请对 {main} 作出决定。"
    assert await counts(engine) == before

    done = await say(LEAD, f"/adopt {main}")
    assert f"{main} 已采纳，已告知客户。" in done
    assert f"并入的 1 件建议（{linked}）一并处理，已分别告知客户。" in done
    for number in (main, linked):
        case = await load(engine, number)
        assert (case.status, case.decision) == (CaseStatus.RESOLVED, Decision.ADOPTED)
    assert any(f"您的建议 {linked} 已被采纳" in text for text in await told(engine, BAO.user_id))

    await say(LEAD, f"/implemented {main} 网银新增收款人备注")
    assert (await load(engine, linked)).implemented_at is not None
    refusal = await say(LEAD, f"/implemented {linked} 再说一次")
    assert "未作更改" in refusal

    # A later suggestion joining the adopted one is adopted with it, at once.
    late = await file(engine, calendar, type=CaseType.SUGGESTION, customer=BAO)
    answer = await say(LEAD, f"/link {late} {main}")
    assert answer == f"{late} 已并入已采纳的 {main}，随之采纳，已告知客户。"
    assert (await load(engine, late)).decision is Decision.ADOPTED
    # An answered suggestion is linked to nothing: its customer heard its own decision.
    before = await counts(engine)
    assert "无法再并入" in await say(LEAD, f"/link {late} {main}")
    assert await counts(engine) == before


async def test_queue_words_say_what_is_true(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    number = await file(engine, calendar)
    # Routed to the department, nobody took it: "waiting to be taken", not "assigned".
    assert "已分派" in await say(LEAD, f"/assign {number} cards")
    unassigned = await say(LEAD, "/queue unassigned")
    assert f"{number} 投诉 待接手" in unassigned
    assert "全部部门待办" in await say(SUPERVISOR, "/queue dept")
    assert "本部门待办" in await say(LEAD, "/queue dept")
    before = await counts(engine)
    assert await say(LEAD, "/queue foo") == (
        "没有“foo”这种队列，未作查询。可用：dept|mine|overdue|unassigned。"
    )
    assert await counts(engine) == before


async def test_an_assigned_case_is_not_announced_as_new(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    number = await file(engine, calendar)
    agent = await staff_id(engine, AGENT_A)
    await say(LEAD, f"/assign {number} {agent}")
    alert = (await told(engine, AGENT_A.platform_id))[-1]
    assert alert.startswith(f"📌 王主管 将投诉 {number} 分派给您")
    await say(AGENT_A, f"/resolve {number} 已处理")
    await say(LEAD, f"/reopen {number} 客户补充了新情况")
    await say(LEAD, f"/assign {number} {agent}")
    alert = (await told(engine, AGENT_A.platform_id))[-1]
    assert alert.startswith(f"📌 王主管 将重新处理的投诉 {number} 分派给您")
    assert not alert.startswith("新")


# Each reply that reports a change is one of these templates.
DONE = [
    re.compile(
        "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^，。]+", re.escape(text)) + "$",
        re.DOTALL,
    )
    for key, text in CATALOGS["zh"].items()
    if key.startswith("desk.done.") or key == "desk.reveal"
]


def claims_a_change(reply: str) -> bool:
    return any(p.match(line) for line in reply.splitlines() for p in DONE)


async def test_every_command_that_claims_a_change_recorded_it(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    """Every case command in every status a case can be in, by an agent and a lead: a
    reply of success always comes with new audit events; anything else changes nothing."""
    complaint = await file(engine, calendar)
    suggestion = await file(engine, calendar, type=CaseType.SUGGESTION, customer=ANNA)
    other = await file(engine, calendar, type=CaseType.SUGGESTION, customer=BAO)
    repeat = await file(engine, calendar)
    script = [
        (AGENT_A, f"/take {complaint}"),
        (AGENT_B, f"/take {complaint}"),
        (AGENT_B, f"/classify {complaint} 1"),
        (AGENT_A, f"/classify {complaint} 1"),
        (AGENT_A, f"/classify {complaint} 1"),
        (AGENT_A, f"/classify {complaint} 天气"),
        (AGENT_A, f"/channel {complaint} 2"),
        (AGENT_A, f"/channel {complaint} 2"),
        (AGENT_A, f"/tag {complaint} 吞卡"),
        (AGENT_A, f"/tag {complaint} 吞卡"),
        (AGENT_A, f"/untag {complaint} 吞卡"),
        (AGENT_A, f"/untag {complaint} 吞卡"),
        (LEAD, f"/merge {repeat} {suggestion}"),
        (LEAD, f"/merge {repeat} {complaint}"),
        (LEAD, f"/merge {repeat} {complaint}"),
        (AGENT_A, f"/note {complaint} 已联系网点"),
        (AGENT_A, f"/ask {complaint} 具体时间？"),
        (AGENT_A, f"/take {complaint}"),
        (LEAD, f"/extend {complaint} 2 需要调取录像"),
        (AGENT_A, f"/resolve {complaint} 已处理"),
        (AGENT_A, f"/resolve {complaint} 再次答复"),
        (AGENT_A, f"/take {complaint}"),
        (LEAD, f"/assign {complaint} cards"),
        (LEAD, f"/reopen {complaint} 客户不满意"),
        (LEAD, f"/reopen {complaint} 再来一次"),
        (LEAD, f"/assign {complaint} cards"),
        (AGENT_B, f"/take {complaint}"),
        (LEAD, f"/reveal {complaint}"),
        (LEAD, f"/adopt {complaint}"),
        (LEAD, f"/link {other} {suggestion}"),
        (LEAD, f"/link {suggestion} {other}"),
        (LEAD, f"/implemented {suggestion} 上线"),
        (LEAD, f"/decline {other} 不需要"),
        (LEAD, f"/adopt {suggestion}"),
        (LEAD, f"/adopt {suggestion}"),
        (LEAD, f"/decline {suggestion} 改主意"),
        (LEAD, f"/implemented {suggestion} 上线"),
        (LEAD, f"/implemented {suggestion} 又上线"),
        (LEAD, f"/link {other} {suggestion}"),
    ]
    claimed = 0
    for who, command in script:
        before = await counts(engine)
        reply = await say(who, command)
        events, messages = await counts(engine)
        if claims_a_change(reply):
            claimed += 1
            assert events > before[0], (command, reply)
        else:
            assert (events, messages) == before, (command, reply)
    assert claimed >= 17  # the script exercises successes as well as refusals


async def test_refusals_are_in_the_staff_members_words_with_what_to_do(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    number = await file(engine, calendar)
    await say(AGENT_A, f"/take {number}")
    await say(AGENT_A, f"/resolve {number} 已处理")
    before = await counts(engine)
    refusal = await say(AGENT_A, f"/resolve {number} 再答复一次")
    assert refusal == (
        f"无法执行，未作更改：{number} 当前为“已答复”，不能变为“已答复”。"
        f"如需继续处理，请主管发送 /reopen {number} 原因。"
    )
    assert await counts(engine) == before
    for text in (refusal, await say(LEAD, f"/extend {number} 2 太复杂")):
        assert "resolved" not in text and "cannot" not in text and "case " not in text


async def test_a_refusal_midway_rolls_back_what_the_command_had_changed(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    """/adopt decides the main suggestion, then the linked one, whose save the domain
    refuses: the main one is left undecided too, and nobody is told anything."""
    main = await file(engine, calendar, type=CaseType.SUGGESTION, customer=ANNA)
    linked = await file(engine, calendar, type=CaseType.SUGGESTION, customer=BAO)
    await say(LEAD, f"/link {linked} {main}")

    class ChangedMeanwhile(SqlUnitOfWork):
        async def __aenter__(self) -> ChangedMeanwhile:
            await super().__aenter__()
            save = self.cases.save

            async def refuse_linked(case: Case) -> None:
                if case.number == linked:
                    raise DomainError("refused on the way", key="refusal.general")
                await save(case)

            self.cases.save = refuse_linked  # type: ignore[method-assign]
            return self

    desk = DeskService(lambda: ChangedMeanwhile(engine), calendar=calendar, policy=DeadlinePolicy())
    before = await counts(engine)
    sender = CustomerId(Platform.TELEGRAM, LEAD.platform_id)
    outcome = await desk.handle(
        Incoming(sender, Text(f"/adopt {main}"), Channel.PUBLIC_PLATFORM), NOW
    )
    assert outcome is not None
    assert [r.text for r in outcome.replies] == [
        "无法执行，未作更改：该操作不符合案件的当前情况。请发送 /case 编号 查看详情。"
    ]
    assert await counts(engine) == before
    assert (await load(engine, main)).decision is None


async def test_staff_have_a_language_of_their_own(
    engine: AsyncEngine, calendar: WorkingCalendar, say: Say
) -> None:
    assert await say(LEAD, "/language en") == "Your working language is now English."
    assert (await say(LEAD, "/queue foo")).startswith('There is no queue "foo"')
    assert await say(LEAD, "/language") == (
        "Your working language: English. Send /language zh or /language en to change it."
    )
    async with SqlUnitOfWork(engine) as uow:
        lead = await uow.staff.by_identity(Platform.TELEGRAM, LEAD.platform_id)
    assert lead is not None and lead.language == "en"
    assert await say(LEAD, "/language zh") == "工作语言已设为中文。"

    # A customer's /language is the customer's: the desk does not take it.
    desk = desk_service(engine, calendar)
    customer = Incoming(ANNA, Text("/language"), Channel.PUBLIC_PLATFORM)
    assert await desk.handle(customer, NOW) is None

    # Registering from an English chat client: the desk speaks English from the start.
    uow = SqlUnitOfWork(engine)
    code, _ = await admin.invite(uow, name="Li", role=Role.AGENT, department="cards", now=NOW)
    newcomer = CustomerId(Platform.TELEGRAM, "9010")
    welcome = await desk.handle(
        Incoming(newcomer, Text(f"/register {code}"), Channel.PUBLIC_PLATFORM, "en-GB"), NOW
    )
    assert welcome is not None and welcome.replies[0].text.startswith("Registered")
