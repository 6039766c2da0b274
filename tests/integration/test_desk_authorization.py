"""Who may do what: every staff command, tried by those who may not."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import CaseType
from core.channel.io import Choice, Incoming, Text
from core.desk.commands import COMMAND_ROLES
from core.desk.registry import declarations
from core.desk.service import DeskService
from core.desk.staff import Role
from core.identity import CustomerId, Platform
from core.messages import CATALOGS
from intake import admin
from storage.outbox import Listed, SqlOutboxQueue
from storage.tables import StaffRow
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at, desk_service, draft, filed_case

NOW = at("2026-11-03 10:00")
CARDS_AGENT, LOANS_AGENT, DISABLED, CUSTOMER, CARDS_LEAD = "t-1", "t-2", "t-3", "t-4", "t-5"


def commands(number: str) -> list[str]:
    return [
        "/queue dept",
        "/queue overdue",
        "/queue unassigned",
        f"/case {number}",
        f"/take {number}",
        f"/assign {number} loans",
        f"/note {number} looked at it",
        f"/ask {number} when?",
        f"/resolve {number} done",
        f"/adopt {number}",
        f"/decline {number} no",
        f"/reopen {number} again",
        f"/extend {number} 2 complex",
        f"/reveal {number}",
        f"/link {number} {number}",
        f"/implemented {number} done",
        f"/classify {number} 1",
        f"/channel {number} 1",
        f"/tag {number} x",
        f"/untag {number} x",
        f"/merge {number} {number}",
        "/stats",
        "/help",
    ]


@pytest.fixture
async def world(engine: AsyncEngine, calendar: WorkingCalendar) -> dict[str, object]:
    uow = SqlUnitOfWork(engine)
    await admin.save_department(
        uow, code="cards", name="Cards", business=["debit_card"], default=True
    )
    await admin.save_department(uow, code="loans", name="Loans", business=["loans"], default=False)
    desk = desk_service(engine, calendar)
    for user, department, role in (
        (CARDS_AGENT, "cards", Role.AGENT),
        (LOANS_AGENT, "loans", Role.AGENT),
        (DISABLED, "cards", Role.LEAD),
        (CARDS_LEAD, "cards", Role.LEAD),
    ):
        code, _ = await admin.invite(uow, name=user, role=role, department=department, now=NOW)
        assert await desk.handle(incoming(user, f"/register {code}"), NOW) is not None
    async with engine.begin() as conn:
        await conn.execute(
            update(StaffRow).where(col(StaffRow.name) == DISABLED).values(active=False)
        )
    suggestion = await filed_case(
        SqlUnitOfWork(engine),
        draft(type=CaseType.SUGGESTION, department="cards"),
        calendar=calendar,
        policy=DeadlinePolicy(),
        now=at("2026-11-02 10:00"),
    )
    queue = SqlOutboxQueue(engine)
    welcomes = len(await queue.listing())  # the registration answers
    return {
        "desk": desk,
        "queue": queue,
        "welcomes": welcomes,
        "number": suggestion.number,
        "uow": uow,
    }


async def queued(world: dict[str, object]) -> list[Listed]:
    """What the commands queued for others (the registration answers excluded)."""
    queue = world["queue"]
    assert isinstance(queue, SqlOutboxQueue)
    return (await queue.listing())[int(world["welcomes"]) :]  # type: ignore[call-overload]


def incoming(user: str, text: str) -> Incoming:
    return Incoming(CustomerId(Platform.TELEGRAM, user), Text(text), Channel.PUBLIC_PLATFORM)


async def snapshot(uow: SqlUnitOfWork, number: str) -> tuple[int, int]:
    async with uow:
        case = await uow.cases.get(number)
        assert case is not None
        return case.version, len(await uow.cases.history(number))


@pytest.mark.parametrize("who", [CUSTOMER, DISABLED])
async def test_non_staff_get_the_customer_experience(world: dict[str, object], who: str) -> None:
    desk, number = world["desk"], str(world["number"])
    assert isinstance(desk, DeskService)
    before = await snapshot(world["uow"], number)  # type: ignore[arg-type]
    for text in [*commands(number), f"/register {number}"]:
        assert await desk.handle(incoming(who, text), NOW) is None, text
    assert (
        await desk.handle(
            Incoming(
                CustomerId(Platform.TELEGRAM, who),
                Choice(f"k:take:{number}"),
                Channel.PUBLIC_PLATFORM,
            ),
            NOW,
        )
        is None
    )
    assert await snapshot(world["uow"], number) == before  # type: ignore[arg-type]
    assert await queued(world) == []


async def test_an_agent_of_another_department_reaches_nothing(world: dict[str, object]) -> None:
    desk, number = world["desk"], str(world["number"])
    assert isinstance(desk, DeskService)
    before = await snapshot(world["uow"], number)  # type: ignore[arg-type]
    for text in commands(number):
        outcome = await desk.handle(incoming(LOANS_AGENT, text), NOW)
        assert outcome is not None, text
        said = "\n".join(r.text for r in outcome.replies)
        name = text.split()[0][1:]
        if COMMAND_ROLES[name] > Role.AGENT:
            assert said == "您的角色无权执行此操作。", text
        elif number in text:
            assert said == f"在您的处理范围内没有案件 {number}。", text
        else:  # queue, stats, help: their own scope only
            assert number not in said and "13812348000" not in said, text
    assert await snapshot(world["uow"], number) == before  # type: ignore[arg-type]
    assert await queued(world) == []


async def test_the_same_commands_work_for_the_right_people(world: dict[str, object]) -> None:
    """The matrix's other side: what was refused above is allowed within reach."""
    desk, number = world["desk"], str(world["number"])
    assert isinstance(desk, DeskService)
    agent_case = await desk.handle(incoming(CARDS_AGENT, f"/case {number}"), NOW)
    assert agent_case is not None and number in agent_case.replies[0].text
    adopted = await desk.handle(incoming(CARDS_LEAD, f"/adopt {number}"), NOW)
    assert adopted is not None and "已采纳" in adopted.replies[0].text
    told, points, survey = await queued(world)
    assert (told.platform, told.address) == ("telegram", draft().customer.user_id)
    assert "已被采纳" in told.text
    assert points.address == told.address and "获得 50 积分（建议被采纳）" in points.text
    assert survey.address == told.address and number in survey.text and "满意" in survey.text


async def test_incomplete_commands_get_their_usage(world: dict[str, object]) -> None:
    desk, number = world["desk"], str(world["number"])
    assert isinstance(desk, DeskService)
    before = await snapshot(world["uow"], number)  # type: ignore[arg-type]
    for text in (
        "/take",
        f"/note {number}",
        f"/decline {number}",
        f"/extend {number} 3",
        f"/tag {number}",
        f"/merge {number}",
    ):
        outcome = await desk.handle(incoming(CARDS_LEAD, text), NOW)
        assert outcome is not None
        name = text.split()[0][1:]
        assert [r.text for r in outcome.replies] == [
            "用法：" + CATALOGS["zh"][f"desk.help.{name}"]
        ], text
    assert await snapshot(world["uow"], number) == before  # type: ignore[arg-type]


async def test_help_lists_the_declared_commands_each_role_may_use(
    world: dict[str, object],
) -> None:
    desk = world["desk"]
    assert isinstance(desk, DeskService)
    for who, role in ((CARDS_AGENT, Role.AGENT), (CARDS_LEAD, Role.LEAD)):
        outcome = await desk.handle(incoming(who, "/help"), NOW)
        assert outcome is not None
        listed = outcome.replies[0].text.splitlines()
        expected = [
            CATALOGS["zh"][d.help_key]
            for d in sorted(declarations(), key=lambda d: (d.role, d.name))
            if d.role <= role
        ]
        assert listed == [CATALOGS["zh"]["desk.help"], *expected], who


async def test_an_undeclared_command_is_left_to_the_customer_flow(
    world: dict[str, object],
) -> None:
    desk, number = world["desk"], str(world["number"])
    assert isinstance(desk, DeskService)
    for text in ("/frobnicate", f"/frobnicate {number}", "/start"):
        assert await desk.handle(incoming(CARDS_LEAD, text), NOW) is None, text
    assert await queued(world) == []
