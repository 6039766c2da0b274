"""The migrations build exactly the schema the table models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables)
from storage.migrate import pending_revisions, upgrade
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url, fresh_engine
from tests.factories import BOB, at, new_case, store_before_upgrade


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await pending_revisions(engine) == []


async def test_upgrading_gives_stored_cases_their_intake_channel_and_promised_deadline(
    tmp_path: Path,
) -> None:
    engine = await fresh_engine(database_url(tmp_path), "0012")
    staff = "staff:1"
    # Extended: promised 11-05 10:00, moved to 11-10 10:00.
    extended = new_case("CP-20261102-0001")
    extended.assign(department="cards", assignee=staff, actor=staff, now=at("2026-11-02 11:00"))
    extended.postpone(
        due_at=at("2026-11-10 10:00"), reason="complex", actor=staff, now=at("2026-11-03 10:00")
    )
    # Reopened with a new promise (11-12 10:00), then extended to 11-16 10:00.
    reopened = new_case("CP-20261102-0002", customer=BOB)
    reopened.assign(department="cards", assignee=staff, actor=staff, now=at("2026-11-02 11:00"))
    reopened.start(actor=staff, now=at("2026-11-02 11:00"))
    reopened.resolve(result="done", actor=staff, now=at("2026-11-03 10:00"))
    reopened.reopen(
        reason="new facts", due_at=at("2026-11-12 10:00"), actor=staff, now=at("2026-11-09 10:00")
    )
    reopened.assign(department="cards", assignee=staff, actor=staff, now=at("2026-11-09 11:00"))
    reopened.postpone(
        due_at=at("2026-11-16 10:00"), reason="complex", actor=staff, now=at("2026-11-10 10:00")
    )
    plain = new_case("CP-20261102-0003")
    try:
        for case in (extended, reopened, plain):
            await store_before_upgrade(engine, case)
        await upgrade(engine)
        async with SqlUnitOfWork(engine) as uow:
            got = [await uow.cases.get(c.number) for c in (extended, reopened, plain)]
        stored = [c for c in got if c is not None]
        assert [(c.intake_channel, c.original_due_at, c.due_at, c.merged_into) for c in stored] == [
            ("telegram", at("2026-11-05 10:00"), at("2026-11-10 10:00"), None),
            ("wechat", at("2026-11-12 10:00"), at("2026-11-16 10:00"), None),
            ("telegram", at("2026-11-05 10:00"), at("2026-11-05 10:00"), None),
        ]
    finally:
        await engine.dispose()


async def test_upgrading_has_the_sweeps_read_open_and_resolved_cases_once(
    tmp_path: Path,
) -> None:
    engine = await fresh_engine(database_url(tmp_path), "0016")
    staff = "staff:1"
    waiting = new_case("CP-20261102-0001")  # open, unassigned: the sweep must read it
    answered = new_case("CP-20261102-0002", customer=BOB)
    answered.assign(department="cards", assignee=staff, actor=staff, now=at("2026-11-02 11:00"))
    answered.start(actor=staff, now=at("2026-11-02 11:00"))
    answered.resolve(result="done", actor=staff, now=at("2026-11-03 10:00"))
    closed = new_case("CP-20261102-0003")
    closed.withdraw(reason=None, actor="customer:x", now=at("2026-11-02 12:00"))
    try:
        for case in (waiting, answered, closed):
            await store_before_upgrade(engine, case)
        await upgrade(engine)
        later = at("2026-11-20 10:00")
        async with SqlUnitOfWork(engine) as uow:
            alerts = [c.number for _, c in await uow.cases.alerts_due(later, after=None, limit=9)]
            surveys = [c.number for _, c in await uow.cases.surveys_due(later, after=None, limit=9)]
        assert (alerts, surveys) == (["CP-20261102-0001"], ["CP-20261102-0002"])
    finally:
        await engine.dispose()
