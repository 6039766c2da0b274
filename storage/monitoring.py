"""What the database says operators should watch, read when `/metrics` is scraped: the
outbox's backlog and failures by platform, overdue cases, provisional deadlines.

Three aggregate reads, each from an index (the outbox by status and platform, open cases
by status and deadline, cases by provisional year), so that a scrape every few seconds
costs little: a few milliseconds on SQLite and some 20 on PostgreSQL over 200,000 cases
(10,000 of them open and overdue) and 500,000 outbox rows (`benchmarks.metrics_scrape`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from core.cases.values import OPEN_STATUSES
from storage.database import session_factory
from storage.outbox import FAILED, PENDING
from storage.repository import SqlCaseRepository
from storage.tables import CaseRow, OutboxRow


@dataclass(frozen=True, slots=True)
class Watched:
    pending: dict[str, int] = field(default_factory=dict)  # by platform
    oldest_pending: dict[str, datetime] = field(default_factory=dict)  # its created_at
    failed: dict[str, int] = field(default_factory=dict)
    overdue: int = 0  # open cases past their deadline
    provisional: dict[int, int] = field(default_factory=dict)  # open cases by year


async def watched(engine: AsyncEngine, now: datetime) -> Watched:
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(
                col(OutboxRow.platform),
                col(OutboxRow.status),
                func.count(),
                func.min(col(OutboxRow.created_at)),
            )
            .where(col(OutboxRow.status).in_((PENDING, FAILED)))
            .group_by(col(OutboxRow.platform), col(OutboxRow.status))
        )
        pending: dict[str, int] = {}
        oldest: dict[str, datetime] = {}
        failed: dict[str, int] = {}
        for platform, status, count, first in rows:
            if status == PENDING:
                pending[platform], oldest[platform] = int(count), first
            else:
                failed[platform] = int(count)
        overdue = await session.scalar(
            select(func.count())
            .select_from(CaseRow)
            .where(
                col(CaseRow.status).in_(sorted(s.value for s in OPEN_STATUSES)),
                col(CaseRow.due_at) < now,
            )
        )
        provisional = await SqlCaseRepository(session).provisional_years()
    return Watched(pending, oldest, failed, int(overdue or 0), provisional)
