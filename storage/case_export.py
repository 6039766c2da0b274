"""Every case received in a period, read as a stream for the report's files, and the
audit of an unmasked export.

The cases come from a server-side cursor (`AsyncConnection.stream` with `yield_per`) in
batches, so memory holds one batch whatever the period's size; the same statement runs
on SQLite and PostgreSQL. Contact columns are decrypted by their column types
(`storage.types`), as everywhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Window
from core.cases.values import REVEALED_CONTACT
from storage.database import session_factory
from storage.tables import CaseEventRow, CaseRow

BATCH = 2000
CaseExportRow = Row[*tuple[Any, ...]]

_CASE_TABLE: Table = CaseRow.__table__  # type: ignore[attr-defined]
_C = _CASE_TABLE.c
# What the exports show of a case, in this order (reports.case_rows names the columns).
EXPORTED = (
    _C.number,
    _C.type,
    _C.status,
    _C.priority,
    _C.intake_channel,
    _C.channel,
    _C.business_type,
    _C.cause,
    _C.tags,
    _C.branch,
    _C.department,
    _C.assignee,
    _C.received_at,
    _C.original_due_at,
    _C.due_at,
    _C.legal_due_at,
    _C.resolved_at,
    _C.closed_at,
    _C.satisfaction,
    _C.decision,
    _C.merged_into,
    _C.customer_platform,
    _C.customer_user_id,
    _C.contact_name,
    _C.contact_phone,
    _C.description,
    _C.desired_outcome,
    _C.resolution,
)


async def cases_received(
    engine: AsyncEngine,
    window: Window,
    *,
    department: str | None = None,
    batch: int = BATCH,
) -> AsyncIterator[Sequence[CaseExportRow]]:
    """The cases received in `window`, of one department or (None) of all, oldest first,
    a batch of rows at a time (merged ones too: they are cases the bank received)."""
    stmt = (
        select(*EXPORTED)
        .where(_C.received_at >= window.start, _C.received_at < window.end)
        .order_by(_C.received_at, _C.number)
        .execution_options(yield_per=batch)
    )
    if department is not None:
        stmt = stmt.where(_C.department == department)
    async with engine.connect() as conn:
        result = await conn.stream(stmt)
        async for rows in result.partitions():
            yield rows


async def record_reveals(
    engine: AsyncEngine, numbers: Sequence[str], *, actor: str, at: datetime, note: str
) -> None:
    """A `revealed_contact` event for each of these cases, committed before their data
    is written out. On SQLite the session queues for the writer slot with the rest of
    the process."""
    if not numbers:
        return
    async with session_factory(engine)() as session:
        await session.execute(
            insert(CaseEventRow),
            [
                {
                    "case_number": number,
                    "at": at,
                    "actor": actor,
                    "action": REVEALED_CONTACT,
                    "before": {},
                    "after": {},
                    "note": note,
                }
                for number in numbers
            ],
        )
        await session.commit()
