"""Privacy self-service: /privacy lists what is kept; a confirmed /forget removes the
customer's personal data from their finished cases and audit trails, keeps the cases
for statistics, leaves open cases alone, and is audited. The trail allows that erasure
and nothing else."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Cause, Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import ERASED, FORGOTTEN_ACTOR, Attachment, CaseStatus
from core.channel.answer import Outcome
from core.channel.io import Choice, Incoming, Input, Text
from core.identity import CustomerId, Platform
from storage.tables import CaseEventRow, CaseRow
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import ALICE, at, conversation_service, desk_service, draft, filed_case
from tests.integration.test_deadline_chasing import AGENT, register_staff

NOW = at("2026-11-02 10:00")
NAME, PHONE = "张三", "13812348000"


class World:
    def __init__(self, engine: AsyncEngine, calendar: WorkingCalendar) -> None:
        self.engine, self.calendar = engine, calendar
        self.customer = conversation_service(engine, calendar)
        self.desk = desk_service(engine, calendar)

    async def say(self, message: Input | str) -> Outcome:
        typed = Text(message) if isinstance(message, str) else message
        return await self.customer.handle(
            Incoming(ALICE, typed, Channel.PUBLIC_PLATFORM), at("2026-11-02 12:00")
        )

    async def staff(self, command: str) -> None:
        done = await self.desk.handle(
            Incoming(CustomerId(Platform.TELEGRAM, AGENT), Text(command), Channel.PUBLIC_PLATFORM),
            at("2026-11-02 11:00"),
        )
        assert done is not None

    async def file(self) -> str:
        case = await filed_case(
            SqlUnitOfWork(self.engine),
            draft(
                department="cards",
                description=f"ATM 吞卡，我是{NAME}，电话 {PHONE}。",
                attachments=(Attachment("photo", "tg-file-receipt"),),
            ),
            calendar=self.calendar,
            policy=DeadlinePolicy(),
            now=NOW,
            cause=Cause.FACILITIES,
        )
        return case.number


async def raw_rows(engine: AsyncEngine, number: str) -> str:
    """Everything stored about the case, as text."""
    async with engine.connect() as conn:
        case = (await conn.execute(select(CaseRow).where(col(CaseRow.number) == number))).one()
        events = (
            await conn.execute(select(CaseEventRow).where(col(CaseEventRow.case_number) == number))
        ).all()
    return json.dumps([list(case), *map(list, events)], default=str, ensure_ascii=False)


async def test_privacy_then_forget_finished_cases_only(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    await register_staff(engine, calendar)
    world = World(engine, calendar)
    closed, still_open = await world.file(), await world.file()
    await world.staff(f"/ask {closed} 哪台 ATM？")
    await world.say(f"浦东那台，联系我 {PHONE}")
    await world.staff(f"/resolve {closed} 卡已找回。")
    await world.say("5")
    await world.say(f"{NAME}很满意")
    async with SqlUnitOfWork(engine) as uow:
        before = await uow.cases.get(closed)
        actions = [e.action for e in await uow.cases.history(closed)]
    assert before is not None and before.status is CaseStatus.CLOSED

    shown = (await world.say("/privacy")).replies[0].text
    assert closed in shown and still_open in shown and "2 条反馈" in shown
    assert "张* 138****8000" in shown and PHONE not in shown and "/forget" in shown

    asked = await world.say("/forget")
    assert [o.key for o in asked.replies[0].options] == ["f:yes", "f:no"]
    done = (await world.say("1")).replies[0].text  # a WeChat customer types the number
    assert "1 条已结案反馈" in done and "还有 1 条未结案反馈" in done
    # A second tap on the old "yes" button finds the confirmation answered.
    again = (await world.say(Choice("f:yes"))).replies[0].text
    assert "失效" in again

    async with SqlUnitOfWork(engine) as uow:
        forgotten = await uow.cases.get(closed)
        untouched = await uow.cases.get(still_open)
        history = await uow.cases.history(closed)
        mine = await uow.cases.for_customer(ALICE)
    assert forgotten is not None and untouched is not None
    # What statistics need stays.
    assert (forgotten.type, forgotten.status, forgotten.satisfaction) == (
        before.type,
        CaseStatus.CLOSED,
        5,
    )
    assert forgotten.classification == before.classification
    assert (forgotten.received_at, forgotten.resolved_at) == (
        before.received_at,
        before.resolved_at,
    )
    assert forgotten.department == "cards" and forgotten.resolution == "卡已找回。"
    # The person is gone from the case...
    assert forgotten.contact.is_anonymous and forgotten.description == ERASED
    assert forgotten.attachments == [] and forgotten.satisfaction_comment is None
    assert forgotten.customer.user_id == "forgotten" and forgotten.forgotten_at is not None
    stored = await raw_rows(engine, closed)
    for trace in (NAME, PHONE, "tg-file-receipt", "浦东那台", f"telegram:{ALICE.user_id}"):
        assert trace not in stored, trace
    # ... and from its trail, which still says what happened when, and by which staff.
    assert [e.action for e in history] == [*actions, "forgotten"]
    assert {e.actor for e in history} == {FORGOTTEN_ACTOR, "staff:1"}
    assert history[-1].action == "forgotten" and history[-1].actor == FORGOTTEN_ACTOR
    replied = next(e for e in history if e.action == "customer_replied")
    assert replied.note == ERASED
    assert next(e for e in history if e.action == "asked_customer").note == "哪台 ATM？"
    # The open case keeps what is needed to answer it; only it is still theirs.
    assert untouched.contact.phone == PHONE and untouched.attachments
    assert [c.number for c in mine] == [still_open]


@pytest.mark.parametrize(
    "statement",
    [
        # Each matches events and would pass a laxer rule; every one must be refused.
        "UPDATE case_events SET actor = 'someone else'",
        "UPDATE case_events SET actor = 'customer:forgotten' WHERE actor LIKE 'staff:%'",
        "UPDATE case_events SET action = 'nothing', actor = 'customer:forgotten'"
        " WHERE actor LIKE 'customer:%'",
        "UPDATE case_events SET note = 'rewritten', actor = 'customer:forgotten'"
        " WHERE actor LIKE 'customer:%'",
        "UPDATE case_events SET before = '{\"status\": \"x\"}', actor = 'customer:forgotten'"
        " WHERE actor LIKE 'customer:%'",
        "DELETE FROM case_events WHERE actor LIKE 'customer:%'",
    ],
)
async def test_the_trail_allows_erasure_and_nothing_else(
    engine: AsyncEngine, calendar: WorkingCalendar, statement: str
) -> None:
    await register_staff(engine, calendar)
    world = World(engine, calendar)
    number = await world.file()
    await world.staff(f"/take {number}")
    async with SqlUnitOfWork(engine) as uow:
        before = await uow.cases.history(number)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    async with SqlUnitOfWork(engine) as uow:
        assert await uow.cases.history(number) == before
