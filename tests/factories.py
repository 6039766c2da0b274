"""Builders for test data, so each test states only what matters to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, column, insert, inspect, select, table
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.calendar import SHANGHAI, WorkingCalendar
from core.cases.case import Case
from core.cases.classification import BusinessType, Cause, Channel
from core.cases.deadlines import DeadlinePolicy
from core.cases.filing import CaseDraft, change_case_within, open_case
from core.cases.values import CaseType, Classification
from core.customers.conversation import ConversationService
from core.customers.dialogue.flow import DialogueSettings
from core.customers.dialogue.state import Dialogue
from core.desk.service import DeskService
from core.identity import Contact, CustomerId, Platform
from core.ports import UnitOfWork
from storage.repository import _to_row
from storage.tables import CaseEventRow, CaseRow, DialogueRow
from storage.unit_of_work import SqlUnitOfWork
from tests.fakes import RecordingAlerts


def at(text: str) -> datetime:
    """A moment in the bank's time zone: at('2026-09-30 17:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


ALICE = CustomerId(Platform.TELEGRAM, "1001")
BOB = CustomerId(Platform.WECHAT, "oBob-openid")


def draft(**overrides: Any) -> CaseDraft:
    base = CaseDraft(
        type=CaseType.COMPLAINT,
        customer=ALICE,
        channel=Channel.PUBLIC_PLATFORM,
        business_type=BusinessType.DEBIT_CARD,
        description="The ATM at the branch kept my card and nobody helped.",
        contact=Contact("张三", "13812348000", at("2026-11-02 10:00")),
        branch="Pudong Lujiazui",
    )
    return replace(base, **overrides)


async def filed_case(
    uow: UnitOfWork,
    draft: CaseDraft,
    *,
    calendar: WorkingCalendar,
    policy: DeadlinePolicy,
    now: datetime,
    cause: Cause | None = None,
) -> Case:
    """A case on file: opened as the dialogue opens one, in a transaction of its own;
    with `cause`, classified already (a complaint is answered only once it is)."""
    async with uow:
        case = await open_case(uow, draft, calendar=calendar, policy=policy, now=now)
        if cause is not None:
            case.classification = replace(case.classification, cause=cause)
            await uow.cases.save(case)
        await uow.commit()
    return case


async def change_stored_case(
    uow: UnitOfWork, number: str, change: Callable[[Case], object]
) -> None:
    """One change to a stored case, made as the desk makes it, in a transaction of its own."""
    async with uow:
        case = await uow.cases.get(number)
        assert case is not None, number
        await change_case_within(uow, case, change)
        await uow.commit()


def new_case(number: str = "CP-20261102-0001", **overrides: Any) -> Case:
    """A case straight from `Case.file`, with its `filed` event pending; its cause is
    known (the card the ATM kept: facilities), so that it can be answered."""
    d = draft()
    fields: dict[str, Any] = {
        "number": number,
        "type": d.type,
        "customer": d.customer,
        "contact": d.contact,
        "classification": Classification(d.channel, d.business_type, Cause.FACILITIES),
        "description": d.description,
        "received_at": at("2026-11-02 10:00"),
        "due_at": at("2026-11-05 10:00"),
        "branch": d.branch,
    }
    fields.update(overrides)
    return Case.file(**fields)


async def stored_dialogue(engine: AsyncEngine, customer: CustomerId) -> Dialogue | None:
    """The dialogue as stored, read without taking the lock (which records a message)."""
    async with engine.connect() as conn:
        state = await conn.scalar(
            select(col(DialogueRow.state)).where(
                col(DialogueRow.platform) == customer.platform.value,
                col(DialogueRow.user_id) == customer.user_id,
            )
        )
    return Dialogue.from_json(state) if state else None


def conversation_service(engine: AsyncEngine, calendar: WorkingCalendar) -> ConversationService:
    """The customer side on this database, with default settings."""
    return ConversationService(
        lambda: SqlUnitOfWork(engine),
        calendar=calendar,
        policy=DeadlinePolicy(),
        settings=DialogueSettings(),
        alerts=RecordingAlerts(),
    )


def desk_service(engine: AsyncEngine, calendar: WorkingCalendar) -> DeskService:
    """The staff desk on this database."""
    return DeskService(lambda: SqlUnitOfWork(engine), calendar=calendar, policy=DeadlinePolicy())


async def store_before_upgrade(engine: AsyncEngine, case: Case) -> None:
    """Store a case and its trail in a schema migrated to an older revision: only the
    columns that revision has, with the types the models give them."""
    cases: Table = CaseRow.__table__  # type: ignore[attr-defined]

    def existing(connection: Any) -> set[str]:
        return {c["name"] for c in inspect(connection).get_columns("cases")}

    async with engine.begin() as conn:
        columns = await conn.run_sync(existing)
        old = table("cases", *(column(c.name, c.type) for c in cases.c if c.name in columns))
        row = {k: v for k, v in _to_row(case).items() if k in columns}
        await conn.execute(old.insert().values(**row, version=case.version))
        await conn.execute(
            insert(CaseEventRow),
            [
                {"case_number": e.case_number, "at": e.at, "actor": e.actor}
                | {"action": e.action, "before": e.before, "after": e.after, "note": e.note}
                for e in case.pending_events
            ],
        )
    case.pending_events.clear()
