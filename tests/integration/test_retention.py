"""Abandoned intakes are forgotten; live ones and pending questions are not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.cases.deadlines import DeadlinePolicy
from core.channel.io import Choice, Incoming, Option, Text
from core.chasing.retention import forget_abandoned_intakes
from core.customers.conversation import ConversationService
from core.customers.dialogue.flow import DialogueSettings
from core.customers.dialogue.state import Awaiting, Dialogue, Material, Pending, Step
from core.identity import CustomerId, Platform
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import at, stored_dialogue
from tests.fakes import RecordingAlerts

GONE, STILL_HERE = CustomerId(Platform.TELEGRAM, "601"), CustomerId(Platform.WECHAT, "o602")
IDLE = timedelta(minutes=30)


async def test_only_abandoned_answers_are_forgotten(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    service = ConversationService(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        policy=DeadlinePolicy(),
        settings=DialogueSettings(idle_timeout=IDLE),
        alerts=RecordingAlerts(),
    )

    async def say(customer: CustomerId, message: object, when: str) -> None:
        await service.handle(Incoming(customer, message, Channel.PUBLIC_PLATFORM), at(when))  # type: ignore[arg-type]

    for customer, start in ((GONE, "2026-11-02 09:00"), (STILL_HERE, "2026-11-02 09:40")):
        for step in (
            Choice("t:complaint"),
            Choice("b:loans"),
            Choice("r:online"),
            Choice("w:online_banking"),
            Text("A fee appeared on my loan statement."),
            Choice("d:next"),
            Choice("o:skip"),
            Choice("c:yes"),
            Text("张三"),
        ):
            await say(customer, step, start)
    async with SqlUnitOfWork(engine) as uow:  # staff asked GONE something meanwhile
        locked = await uow.dialogues.lock(GONE, at("2026-11-02 09:10"), customer_wrote=False)
        assert locked.dialogue is not None
        locked.dialogue.answering = "CP-20261101-0001"
        await uow.dialogues.save(GONE, locked.dialogue)
        await uow.commit()

    forgotten = await forget_abandoned_intakes(
        lambda: SqlUnitOfWork(engine), idle=IDLE, now=at("2026-11-02 10:00")
    )
    assert forgotten == 1
    gone = await stored_dialogue(engine, GONE)
    assert gone is not None and gone.step is Step.IDLE and gone.name is None
    assert gone.description is None and gone.answering == "CP-20261101-0001"
    here = await stored_dialogue(engine, STILL_HERE)
    assert here is not None and here.step is Step.PHONE and here.name == "张三"
    assert (
        await forget_abandoned_intakes(
            lambda: SqlUnitOfWork(engine), idle=IDLE, now=at("2026-11-02 10:01")
        )
        == 0
    )


async def test_words_left_waiting_for_a_case_are_forgotten(engine: AsyncEngine) -> None:
    waiting = Pending(
        Awaiting.ADD,
        choices=(Option("a:CP-20261101-0001", "补充到投诉 CP-20261101-0001"),),
        material=(Material(text="我的身份证号是……"),),
    )
    survey = Pending(Awaiting.RATING, "CP-20261101-0002")
    for customer, question in ((GONE, waiting), (STILL_HERE, survey)):
        async with SqlUnitOfWork(engine) as uow:
            await uow.dialogues.lock(customer, at("2026-11-02 09:00"))
            await uow.dialogues.save(
                customer, Dialogue(pending=question, updated_at=at("2026-11-02 09:00"))
            )
            await uow.commit()
    forgotten = await forget_abandoned_intakes(
        lambda: SqlUnitOfWork(engine), idle=IDLE, now=at("2026-11-02 10:00")
    )
    assert forgotten == 1
    gone = await stored_dialogue(engine, GONE)
    assert gone is not None and gone.pending is None
    assert await stored_dialogue(engine, STILL_HERE) == Dialogue(
        pending=survey, updated_at=at("2026-11-02 09:00")
    )
