"""The storage contract: the same tests pass on SQLite and on PostgreSQL.

`make test` runs them on SQLite; `.ci/run` runs them again with DATABASE_URL pointing at
PostgreSQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.classification import Cause
from core.cases.deadlines import DeadlinePolicy
from core.cases.values import Attachment, CaseStatus, CaseType
from core.errors import ConcurrentUpdate
from core.identity import Contact
from core.queries import QueueKind, Scope
from storage.unit_of_work import SqlUnitOfWork
from tests.factories import ALICE, BOB, at, change_stored_case, draft, filed_case

POLICY = DeadlinePolicy()
STAFF = "staff:agent-7"


async def file(
    uow: SqlUnitOfWork,
    calendar: WorkingCalendar,
    when: str = "2026-09-30 17:00",
    **overrides: object,
) -> Case:
    return await filed_case(uow, draft(**overrides), calendar=calendar, policy=POLICY, now=at(when))


async def test_a_filed_case_reads_back_whole(uow: SqlUnitOfWork, calendar: WorkingCalendar) -> None:
    photo = Attachment("photo", "AgACAgUAAxkBAAIB", "the ATM screen")
    filed = await file(uow, calendar, attachments=(photo,), desired_outcome="Return my card")
    assert filed.number == "CP-20260930-0001"
    assert filed.due_at == at("2026-10-10 17:00")

    async with uow:
        stored = await uow.cases.get(filed.number)
    assert stored is not None
    assert stored.type is CaseType.COMPLAINT
    assert stored.status is CaseStatus.NEW
    assert stored.customer == ALICE
    assert stored.contact == Contact("张三", "13812348000", at("2026-11-02 10:00"))
    assert stored.attachments == [photo]
    assert stored.desired_outcome == "Return my card"
    assert stored.branch == "Pudong Lujiazui"
    assert stored.classification == filed.classification
    # Timestamps come back timezone-aware and denote the same instants.
    for name in ("received_at", "due_at", "legal_due_at"):
        value = getattr(stored, name)
        assert value.tzinfo is not None and value == getattr(filed, name)
    assert stored.legal_due_at == at("2026-10-15 17:00")
    assert stored.version == 0


async def test_numbers_run_per_type_and_local_day(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    numbers = [
        (await file(uow, calendar, "2026-11-02 09:00")).number,
        (await file(uow, calendar, "2026-11-02 09:05")).number,
        (await file(uow, calendar, "2026-11-02 09:10", type=CaseType.SUGGESTION)).number,
        (await file(uow, calendar, "2026-11-02 09:15", type=CaseType.PRAISE)).number,
        # 16:30 UTC is already the next day in Shanghai.
        (
            await filed_case(
                uow,
                draft(),
                calendar=calendar,
                policy=POLICY,
                now=at("2026-11-02 16:30").replace(tzinfo=UTC),
            )
        ).number,
    ]
    assert numbers == [
        "CP-20261102-0001",
        "CP-20261102-0002",
        "SG-20261102-0001",
        "PR-20261102-0001",
        "CP-20261103-0001",
    ]


async def test_concurrent_filings_never_share_a_number(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    cases = await asyncio.gather(
        *(file(SqlUnitOfWork(engine), calendar, "2026-11-02 10:00") for _ in range(12))
    )
    assert sorted(c.number for c in cases) == [f"CP-20261102-{i:04d}" for i in range(1, 13)]


async def test_a_deadline_in_an_unknown_year_is_stored_provisional(
    uow: SqlUnitOfWork, calendar: WorkingCalendar, calendar_2027: WorkingCalendar
) -> None:
    filed = await file(uow, calendar, "2026-12-29 10:00")  # due in 2027
    assert filed.due_provisional_year == 2027
    async with uow:
        stored = await uow.cases.get(filed.number)
        assert await uow.cases.provisional_years() == {2027: 1}
        assert [
            c.number for c in await uow.cases.provisional(frozenset({2027}), after="", limit=9)
        ] == [filed.number]
        assert await uow.cases.provisional(frozenset({2026}), after="", limit=9) == []
        span = await uow.cases.open_deadline_span()
    assert stored is not None and stored.due_basis == filed.due_basis
    assert span == (filed.due_at, filed.legal_due_at)
    # A case counted with the year's data is no longer provisional.
    known = await file(uow, calendar_2027, "2026-12-29 11:00")
    async with uow:
        assert await uow.cases.provisional_years() == {2027: 1}
        stored = await uow.cases.get(known.number)
    assert stored is not None and stored.due_provisional_year is None


async def test_a_2027_deadline_with_the_calendar_file(
    uow: SqlUnitOfWork, calendar_2027: WorkingCalendar
) -> None:
    case = await file(uow, calendar_2027, "2026-12-28 10:00")
    assert case.due_at == at("2026-12-31 10:00")
    case = await file(uow, calendar_2027, "2026-12-30 10:00", type=CaseType.SUGGESTION)
    assert case.due_at == at("2027-01-07 10:00")


async def test_changes_and_their_audit_trail_are_stored(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    case = await file(uow, calendar)
    now = at("2026-10-08 09:30")
    await change_stored_case(
        uow,
        case.number,
        lambda c: c.assign(department="cards", assignee="agent-7", actor=STAFF, now=now),
    )
    await change_stored_case(uow, case.number, lambda c: c.start(actor=STAFF, now=now))
    await change_stored_case(
        uow, case.number, lambda c: c.classify(cause=Cause.FACILITIES, actor=STAFF, now=now)
    )
    await change_stored_case(
        uow,
        case.number,
        lambda c: c.resolve(
            result="Card returned at the counter.", actor=STAFF, now=now + timedelta(hours=2)
        ),
    )

    async with uow:
        stored = await uow.cases.get(case.number)
    assert stored is not None
    assert (stored.status, stored.department, stored.assignee) == (
        CaseStatus.RESOLVED,
        "cards",
        "agent-7",
    )
    assert stored.resolved_at == now + timedelta(hours=2)
    assert stored.version == 4

    async with uow:
        history = await uow.cases.history(case.number)
    assert [(e.action, e.actor) for e in history] == [
        ("filed", "customer:telegram:1001"),
        ("assigned", STAFF),
        ("started", STAFF),
        ("classified", STAFF),
        ("resolved", STAFF),
    ]
    assert history[1].before == {"status": "new", "department": None, "assignee": None}
    assert history[1].after == {"status": "assigned", "department": "cards", "assignee": "agent-7"}
    assert history[4].at == now + timedelta(hours=2)


async def test_a_refused_change_leaves_no_trace(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    case = await file(uow, calendar)
    with pytest.raises(Exception, match="cannot go from 'new' to 'resolved'"):
        await change_stored_case(
            uow,
            case.number,
            lambda c: c.resolve(result="x", actor=STAFF, now=at("2026-10-08 09:00")),
        )
    async with uow:
        stored = await uow.cases.get(case.number)
        assert stored is not None and stored.status is CaseStatus.NEW
        assert len(await uow.cases.history(case.number)) == 1


async def test_a_conflicting_concurrent_update_is_refused(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    case = await file(SqlUnitOfWork(engine), calendar)
    now = at("2026-10-08 09:00")
    first, second = SqlUnitOfWork(engine), SqlUnitOfWork(engine)
    async with first, second:
        mine = await first.cases.get(case.number)
        theirs = await second.cases.get(case.number)
        assert mine is not None and theirs is not None
        mine.assign(department="cards", assignee="agent-7", actor="staff:a", now=now)
        theirs.assign(department="loans", assignee="agent-9", actor="staff:b", now=now)
        await first.cases.save(mine)
        await first.commit()
        with pytest.raises(ConcurrentUpdate):
            await second.cases.save(theirs)

    async with first:
        stored = await first.cases.get(case.number)
        assert stored is not None
        assert (stored.department, stored.assignee) == ("cards", "agent-7")
        assert [e.actor for e in await first.cases.history(case.number)] == [
            "customer:telegram:1001",
            "staff:a",
        ]


async def test_an_error_inside_a_unit_of_work_rolls_everything_back(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    case = await file(uow, calendar)
    with pytest.raises(RuntimeError):
        async with uow:
            stored = await uow.cases.get(case.number)
            assert stored is not None
            stored.add_note(text="half-done", actor=STAFF, now=at("2026-10-08 09:00"))
            await uow.cases.save(stored)
            raise RuntimeError("crash before commit")
    async with uow:
        assert [e.action for e in await uow.cases.history(case.number)] == ["filed"]


async def test_the_audit_trail_cannot_be_rewritten(
    engine: AsyncEngine, uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    case = await file(uow, calendar)
    for statement in ("UPDATE case_events SET actor = 'someone else'", "DELETE FROM case_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    async with uow:
        assert [e.actor for e in await uow.cases.history(case.number)] == ["customer:telegram:1001"]


async def test_overdue_open_cases_by_due_time(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    early = await file(uow, calendar, "2026-11-02 09:00")  # due 11-05 09:00
    late = await file(uow, calendar, "2026-11-04 09:00")  # due 11-09 09:00
    done = await file(uow, calendar, "2026-11-02 08:00")  # due 11-05 08:00, but withdrawn
    suggestion = await file(uow, calendar, "2026-11-02 10:00", type=CaseType.SUGGESTION)
    # ... due 11-09 10:00
    await change_stored_case(
        uow,
        done.number,
        lambda c: c.withdraw(
            reason=None, actor="customer:telegram:1001", now=at("2026-11-02 12:00")
        ),
    )

    # The overdue queue is open cases due before now, soonest first.
    everything = Scope(None, None)

    async def overdue(now: str, limit: int = 100) -> tuple[list[str], int]:
        cases, total = await uow.cases.queue(
            QueueKind.OVERDUE, everything, me="", now=at(now), limit=limit, offset=0
        )
        return [c.number for c in cases], total

    async with uow:
        assert await overdue("2026-11-09 10:01") == (
            [early.number, late.number, suggestion.number],
            3,
        )
        assert await overdue("2026-11-05 09:01") == ([early.number], 1)
        assert await overdue("2026-11-05 09:00") == ([], 0)
        assert await overdue("2026-11-30 00:00", 1) == ([early.number], 3)


async def test_queries_by_department_and_customer(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    a = await file(uow, calendar, "2026-11-02 09:00", department="cards")
    b = await file(uow, calendar, "2026-11-03 09:00", department="loans")
    c = await file(uow, calendar, "2026-11-04 09:00", department="cards", customer=BOB)
    async with uow:
        assert [x.number for x in await uow.cases.open_for_department("cards")] == [
            a.number,
            c.number,
        ]
        assert [x.number for x in await uow.cases.for_customer(ALICE)] == [b.number, a.number]
        assert [x.number for x in await uow.cases.for_customer(BOB)] == [c.number]


async def test_history_of_an_unknown_case(uow: SqlUnitOfWork) -> None:
    # What the desk and /status look at before answering that there is no such case.
    async with uow:
        assert await uow.cases.get("CP-20260101-0001") is None
        assert await uow.cases.history("CP-20260101-0001") == []


async def test_naive_timestamps_are_refused_by_storage(
    uow: SqlUnitOfWork, calendar: WorkingCalendar
) -> None:
    case = await file(uow, calendar)
    async with uow:
        stored = await uow.cases.get(case.number)
        assert stored is not None
        stored.contact = replace(
            stored.contact, consent_at=at("2026-11-02 10:00").replace(tzinfo=None)
        )
        with pytest.raises(Exception, match="naive"):
            await uow.cases.save(stored)
