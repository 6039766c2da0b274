"""`CaseRepository` on SQL: maps the `Case` aggregate to rows and back."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cases.case import Case
from core.cases.classification import BusinessType, Cause, Channel, IntakeChannel
from core.cases.values import (
    ERASED,
    FORGOTTEN_ACTOR,
    OPEN_STATUSES,
    SATISFIED_FROM,
    Attachment,
    CaseEvent,
    CaseStatus,
    CaseType,
    Classification,
    Decision,
    DueBasis,
    Extension,
    Priority,
)
from core.chasing.watch import Place, first_look
from core.errors import ConcurrentUpdate
from core.identity import Contact, CustomerId, Platform
from core.queries import DailyFigures, Figures, QueueKind, Scope
from storage.database import rowcount
from storage.dialect import upsert
from storage.tables import CaseCounterRow, CaseEventRow, CaseRow
from storage.types import UtcDateTime

_OPEN = [s.value for s in OPEN_STATUSES]
_CASES = CaseRow.metadata.tables["cases"]
# Events of the customer's whose details hold what they sent or wrote.
_EVENTS_WITH_CONTENT = ("attached", "rating_commented")


class SqlCaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def next_sequence(self, prefix: str, day: date) -> int:
        # An atomic upsert: concurrent filings on PostgreSQL queue on the counter row, and
        # SQLite serialises writers anyway, so no two cases ever get the same number.
        stmt = (
            upsert(self._session, CaseCounterRow)
            .values(prefix=prefix, day=day, last=1)
            .on_conflict_do_update(
                index_elements=["prefix", "day"], set_={"last": CaseCounterRow.last + 1}
            )
            .returning(CaseCounterRow.last)
        )
        return int((await self._session.execute(stmt)).scalar_one())

    async def add(self, case: Case) -> None:
        await self._session.execute(insert(CaseRow).values(**_to_row(case), version=case.version))
        await self._write_events(case)

    async def get(self, number: str) -> Case | None:
        row = await self._session.get(CaseRow, number, populate_existing=True)
        return None if row is None else _from_row(row)

    async def save(self, case: Case) -> None:
        result = await self._session.execute(
            update(CaseRow)
            .where(col(CaseRow.number) == case.number, col(CaseRow.version) == case.version)
            .values(**_to_row(case), version=case.version + 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            raise ConcurrentUpdate(case.number)
        case.version += 1
        await self._write_events(case)

    async def history(self, number: str) -> list[CaseEvent]:
        rows = await self._session.scalars(
            select(CaseEventRow)
            .where(col(CaseEventRow.case_number) == number)
            .order_by(col(CaseEventRow.id))
        )
        return [
            CaseEvent(r.case_number, r.at, r.actor, r.action, r.before, r.after, r.note)
            for r in rows
        ]

    async def open_for_department(self, department: str, limit: int = 100) -> list[Case]:
        return await self._cases(
            select(CaseRow)
            .where(col(CaseRow.department) == department, col(CaseRow.status).in_(_OPEN))
            .order_by(col(CaseRow.due_at), col(CaseRow.number))
            .limit(limit)
        )

    async def count_open_for_department(self, department: str) -> int:
        total = await self._session.scalar(
            select(func.count())
            .select_from(CaseRow)
            .where(col(CaseRow.department) == department, col(CaseRow.status).in_(_OPEN))
        )
        return int(total or 0)

    async def for_customer(self, customer: CustomerId, limit: int = 20) -> list[Case]:
        return await self._cases(
            select(CaseRow)
            .where(
                col(CaseRow.customer_platform) == customer.platform.value,
                col(CaseRow.customer_user_id) == customer.user_id,
            )
            .order_by(col(CaseRow.received_at).desc(), col(CaseRow.number).desc())
            .limit(limit)
        )

    async def queue(
        self, kind: QueueKind, scope: Scope, *, me: str, now: datetime, limit: int, offset: int
    ) -> tuple[list[Case], int]:
        where: list[ColumnElement[bool]] = [col(CaseRow.status).in_(_OPEN)]
        if kind is QueueKind.MINE:
            where.append(col(CaseRow.assignee) == me)
        else:
            where.extend(_in_scope(scope))
        if kind is QueueKind.UNASSIGNED:
            where.append(col(CaseRow.assignee).is_(None))
        elif kind is QueueKind.OVERDUE:
            where.append(col(CaseRow.due_at) < now)
        total = await self._session.scalar(select(func.count()).select_from(CaseRow).where(*where))
        cases = await self._cases(
            select(CaseRow)
            .where(*where)
            .order_by(col(CaseRow.due_at), col(CaseRow.number))
            .limit(limit)
            .offset(offset)
        )
        return cases, int(total or 0)

    async def figures(
        self, scope: Scope, *, day_start: datetime, month_start: datetime, now: datetime
    ) -> Figures:
        scoped = _in_scope(scope)
        is_open = col(CaseRow.status).in_(_OPEN)
        resolved = col(CaseRow.resolved_at) >= month_start
        rated = col(CaseRow.rated_at) >= month_start

        def count(*conditions: Any) -> Any:
            return func.count().filter(*conditions)

        row = (
            await self._session.execute(
                select(
                    count(CaseRow.received_at >= day_start),
                    count(is_open),
                    count(is_open, CaseRow.due_at < now),
                    count(resolved),
                    count(resolved, col(CaseRow.resolved_at) <= col(CaseRow.due_at)),
                    count(rated),
                    count(rated, col(CaseRow.satisfaction) >= SATISFIED_FROM),
                    # A merged case is counted once, as the earlier one it joined.
                ).where(*scoped, col(CaseRow.merged_into).is_(None))
            )
        ).one()
        return Figures(*(int(v) for v in row))

    async def alerts_due(
        self, now: datetime, *, after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        return await self._due(now, col(CaseRow.status).in_(_OPEN), after, limit)

    async def surveys_due(
        self, now: datetime, *, after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        resolved = col(CaseRow.status) == CaseStatus.RESOLVED.value
        return await self._due(now, resolved, after, limit)

    async def look_again(self, plans: list[tuple[Case, datetime | None]]) -> None:
        if not plans:
            return
        # By version: a case stored since it was read keeps the moment storing it set.
        # On the table, not the model: a plain executemany, one statement for the batch.
        await self._session.execute(
            update(_CASES)
            .where(_CASES.c.number == bindparam("n"), _CASES.c.version == bindparam("v"))
            .values(chase_at=bindparam("at")),
            [{"n": case.number, "v": case.version, "at": at} for case, at in plans],
        )

    async def _due(
        self, now: datetime, status: ColumnElement[bool], after: Place | None, limit: int
    ) -> list[tuple[Place, Case]]:
        """Cases of a status whose moment has come, by the partial index on (`status`,
        `chase_at`, `number`), in order of moment and number: the read is bounded to the
        due rows (ordered by number alone, PostgreSQL walked the primary key through
        every case when none was due)."""
        moment, number = col(CaseRow.chase_at), col(CaseRow.number)
        stmt = select(CaseRow).where(moment <= now, status)
        if after is not None:
            stmt = stmt.where(
                tuple_(moment, number)
                > tuple_(literal(after[0], UtcDateTime()), literal(after[1], String()))
            )
        rows = await self._session.scalars(stmt.order_by(moment, number).limit(limit))
        return [((r.chase_at, r.number), _from_row(r)) for r in rows if r.chase_at is not None]

    async def daily_figures(
        self, *, day_start: datetime, day_end: datetime, since: datetime, now: datetime
    ) -> dict[str | None, DailyFigures]:
        is_open = col(CaseRow.status).in_(_OPEN)
        rows = await self._session.execute(
            select(
                col(CaseRow.department),
                func.count().filter(col(CaseRow.received_at) >= since),
                func.count().filter(is_open),
                func.count().filter(
                    is_open, col(CaseRow.due_at) >= day_start, col(CaseRow.due_at) < day_end
                ),
                func.count().filter(is_open, col(CaseRow.due_at) < now),
            )
            .where(or_(is_open, col(CaseRow.received_at) >= since))
            .group_by(CaseRow.department)
        )
        return {dept: DailyFigures(*(int(v) for v in values)) for dept, *values in rows}

    async def provisional(self, years: frozenset[int], *, after: str, limit: int) -> list[Case]:
        return await self._cases(
            select(CaseRow)
            .where(
                col(CaseRow.due_provisional_year).in_(sorted(years)), col(CaseRow.number) > after
            )
            .order_by(CaseRow.number)
            .limit(limit)
        )

    async def open_deadline_span(self) -> tuple[datetime, datetime] | None:
        row = (
            await self._session.execute(
                select(
                    func.min(CaseRow.due_at),
                    func.max(CaseRow.due_at),
                    func.max(CaseRow.legal_due_at),
                ).where(col(CaseRow.status).in_(_OPEN))
            )
        ).one()
        first, last_due, last_legal = row
        if first is None:
            return None
        return first, max(last_due, last_legal)

    async def provisional_years(self) -> dict[int, int]:
        rows = await self._session.execute(
            select(col(CaseRow.due_provisional_year), func.count())
            .where(col(CaseRow.due_provisional_year).is_not(None), col(CaseRow.status).in_(_OPEN))
            .group_by(col(CaseRow.due_provisional_year))
        )
        # The query leaves out cases without a year; the filter says so to the type checker.
        return {int(year): int(count) for year, count in rows if year is not None}

    async def linked_to(self, number: str) -> list[Case]:
        return await self._cases(
            select(CaseRow).where(col(CaseRow.linked_to) == number).order_by(col(CaseRow.number))
        )

    async def erase_trail(self, number: str, customer: CustomerId) -> None:
        # The triggers allow this one kind of UPDATE: the customer's own events lose
        # their identity and words; what happened when stays.
        mine = (
            col(CaseEventRow.case_number) == number,
            col(CaseEventRow.actor) == f"customer:{customer}",
        )
        erased = {
            "actor": FORGOTTEN_ACTOR,
            "note": sql_case((col(CaseEventRow.note).is_not(None), ERASED), else_=None),
        }
        await self._session.execute(
            update(CaseEventRow)
            .where(*mine, col(CaseEventRow.action).in_(_EVENTS_WITH_CONTENT))
            .values(**erased, after={})
        )
        await self._session.execute(update(CaseEventRow).where(*mine).values(**erased))

    async def _cases(self, stmt: Any) -> list[Case]:
        return [_from_row(r) for r in await self._session.scalars(stmt)]

    async def _write_events(self, case: Case) -> None:
        if case.pending_events:
            await self._session.execute(
                insert(CaseEventRow),
                [
                    {
                        "case_number": e.case_number,
                        "at": e.at,
                        "actor": e.actor,
                        "action": e.action,
                        "before": e.before,
                        "after": e.after,
                        "note": e.note,
                    }
                    for e in case.pending_events
                ],
            )
            case.pending_events.clear()


def _in_scope(scope: Scope) -> list[Any]:
    if scope.department is None and scope.assignee is None:
        return []
    return [
        or_(col(CaseRow.department) == scope.department, col(CaseRow.assignee) == scope.assignee)
    ]


def _to_row(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "type": case.type.value,
        "status": case.status.value,
        "priority": case.priority.value,
        "customer_platform": case.customer.platform.value,
        "customer_user_id": case.customer.user_id,
        "contact_name": case.contact.name,
        "contact_phone": case.contact.phone,
        "consent_at": case.contact.consent_at,
        "intake_channel": str(case.intake_channel),  # set when the case was made
        "channel": case.classification.channel.value,
        "business_type": case.classification.business_type.value,
        "cause": case.classification.cause.value if case.classification.cause else None,
        "tags": list(case.tags),
        "branch": case.branch,
        "description": case.description,
        "desired_outcome": case.desired_outcome,
        "attachments": [asdict(a) for a in case.attachments],
        "department": case.department,
        "assignee": case.assignee,
        "resolution": case.resolution,
        "decision": case.decision.value if case.decision else None,
        "linked_to": case.linked_to,
        "implemented_at": case.implemented_at,
        "satisfaction": case.satisfaction,
        "satisfaction_comment": case.satisfaction_comment,
        "rated_at": case.rated_at,
        "forgotten_at": case.forgotten_at,
        "chase_at": first_look(case),
        "received_at": case.received_at,
        "due_at": case.due_at,
        "original_due_at": case.original_due_at,
        "merged_into": case.merged_into,
        **_basis_columns(case.due_basis),
        "legal_due_at": case.legal_due_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "extensions": [
            {**asdict(e), "granted_at": e.granted_at.isoformat()} for e in case.extensions
        ],
    }


def _from_row(row: CaseRow) -> Case:
    return Case(
        number=row.number,
        type=CaseType(row.type),
        customer=CustomerId(Platform(row.customer_platform), row.customer_user_id),
        contact=Contact(row.contact_name, row.contact_phone, row.consent_at),
        classification=Classification(
            Channel(row.channel),
            BusinessType(row.business_type),
            Cause(row.cause) if row.cause else None,
        ),
        description=row.description,
        received_at=row.received_at,
        due_at=row.due_at,
        due_basis=_basis(row),
        legal_due_at=row.legal_due_at,
        branch=row.branch,
        desired_outcome=row.desired_outcome,
        tags=list(row.tags),
        attachments=[Attachment(**a) for a in row.attachments],
        status=CaseStatus(row.status),
        priority=Priority(row.priority),
        department=row.department,
        assignee=row.assignee,
        resolution=row.resolution,
        decision=Decision(row.decision) if row.decision else None,
        linked_to=row.linked_to,
        implemented_at=row.implemented_at,
        satisfaction=row.satisfaction,
        satisfaction_comment=row.satisfaction_comment,
        rated_at=row.rated_at,
        forgotten_at=row.forgotten_at,
        intake_channel=IntakeChannel(row.intake_channel),
        original_due_at=row.original_due_at,
        merged_into=row.merged_into,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        extensions=[
            Extension(**{**e, "granted_at": datetime.fromisoformat(e["granted_at"])})
            for e in row.extensions
        ],
        version=row.version,
    )


def _basis_columns(basis: DueBasis | None) -> dict[str, Any]:
    return {
        "due_counted_from": basis.counted_from if basis else None,
        "due_working_days": basis.working_days if basis else None,
        "due_provisional_year": basis.provisional_year if basis else None,
    }


def _basis(row: CaseRow) -> DueBasis | None:
    if row.due_counted_from is None or row.due_working_days is None:
        return None
    return DueBasis(row.due_counted_from, row.due_working_days, row.due_provisional_year)
