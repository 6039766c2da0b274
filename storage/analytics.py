"""The counts behind the figures, aggregated in the database (`core.analytics`).

Every figure is a conditional count (`COUNT(*) FILTER (WHERE ...)`, which SQLite and
PostgreSQL both run) in one statement per breakdown that covers all requested periods
at once, so each breakdown reads the cases once; no case row comes back to be counted.
Time to answer is counted as a histogram: answers per (day received, day answered) in
bank time, a few thousand buckets at most for a quarter, which
`core.analytics.definitions` turns into working days (the calendar lives there, not in
SQL) and reads the median and 90th percentile from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.analytics.counting import (
    CaseCounts,
    Counted,
    CountRequest,
    GroupCounts,
    Repeats,
)
from core.analytics.periods import Window
from core.cases.values import FORGOTTEN_USER, OPEN_STATUSES, CaseType, Decision
from storage.dialect import local_day
from storage.tables import CaseEventRow, CaseRow

_CASE_TABLE: Table = CaseRow.__table__  # type: ignore[attr-defined]
_EVENT_TABLE: Table = CaseEventRow.__table__  # type: ignore[attr-defined]
_CASES, _EVENTS = _CASE_TABLE.c, _EVENT_TABLE.c
_OPEN = _CASES.status.in_(sorted(s.value for s in OPEN_STATUSES))
_UNMERGED = _CASES.merged_into.is_(None)  # a merged case counts as the one it joined
_RATINGS = range(1, 6)
# The trail's actions the figures count (core.cases.case records them).
_REOPENED, _POSTPONED, _EXTENDED = "reopened", "postponed", "extended"


def _count(*conditions: ColumnElement[bool]) -> Any:
    return func.count().filter(and_(*conditions))


def _within(column: Any, window: Window) -> ColumnElement[bool]:
    return and_(column >= window.start, column < window.end)


def _counted(request: CountRequest) -> ColumnElement[bool]:
    """The cases a request counts: not merged into another, of its department if any."""
    if request.department is None:
        return _UNMERGED
    return and_(_UNMERGED, _CASES.department == request.department)


def _span(windows: Sequence[Window]) -> Window:
    return Window(min(w.start for w in windows), max(w.end for w in windows))


class SqlFigures:
    """`core.analytics.counting.FigureSource` on the service's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self, request: CountRequest) -> Counted:
        async with self._engine.connect() as conn:
            overall = await self._groups(conn, request, None)
            groups = {
                dimension: await self._groups(conn, request, _CASES[dimension.value])
                for dimension in request.dimensions
            }
            repeats = await _repeats(conn, request)
        return Counted(overall[None], groups, repeats)

    async def _groups(
        self, conn: AsyncConnection, request: CountRequest, key: Any
    ) -> dict[str | None, GroupCounts]:
        """Every group's counts for every period: one statement for the cases, one for
        the trail, one for the time-to-answer histogram."""
        cases = await _case_counts(conn, request, key)
        events = await _event_counts(conn, request, key)
        days = await _answer_days(conn, request, key)
        # A group some statement found nothing for has zeros there (no case at all:
        # the overall group still has its zeros).
        nothing = [{"received_per_month": (0,) * len(m)} for m in request.months]
        found: dict[str | None, GroupCounts] = {}
        for group in set(cases) | set(events) | set(days) | ({None} if key is None else set()):
            fields, overdue = cases.get(group, (nothing, 0))
            happened: list[dict[str, int]] = events.get(group, [{} for _ in request.periods])
            answers: list[dict[tuple[int, int], int]] = days.get(
                group, [{} for _ in request.periods]
            )
            # One period's counts, as named by the statements' labels.
            counted: list[dict[str, Any]] = [
                {**fields[i], **happened[i]} for i in range(len(request.periods))
            ]
            per_period = tuple(
                CaseCounts(**counted[i], answer_days=answers[i])
                for i in range(len(request.periods))
            )
            found[group] = GroupCounts(per_period, overdue)
        return found


def _keyed(key: Any) -> list[Any]:
    return [] if key is None else [key]


def _group_of(row: Sequence[Any], key: Any) -> tuple[str | None, Sequence[Any]]:
    return (None, row) if key is None else (row[0], row[1:])


async def _case_counts(
    conn: AsyncConnection, request: CountRequest, key: Any
) -> dict[str | None, tuple[list[dict[str, Any]], int]]:
    c, now = _CASES, request.now
    reopened = select(_EVENTS.case_number).where(_EVENTS.action == _REOPENED).distinct().subquery()
    customer = c.customer_platform + ":" + c.customer_user_id
    suggestion = c.type == CaseType.SUGGESTION.value
    columns: list[Any] = []
    names: list[list[str]] = []
    for window, months in zip(request.periods, request.months, strict=True):
        answered = _within(c.resolved_at, window)
        implemented = _within(c.implemented_at, window)
        rated = _within(c.rated_at, window)
        figures: dict[str, Any] = {
            "received": _count(_within(c.received_at, window)),
            **{f"month{i}": _count(_within(c.received_at, m)) for i, m in enumerate(months)},
            "answered": _count(answered),
            "answered_on_time": _count(answered, c.resolved_at <= c.original_due_at),
            "late_open": _count(_OPEN, _within(c.original_due_at, window), c.original_due_at < now),
            "answered_reopened": _count(answered, reopened.c.case_number.is_not(None)),
            "answered_rated": _count(answered, c.rated_at.is_not(None)),
            **{f"rating{k}": _count(rated, c.satisfaction == k) for k in _RATINGS},
            "decided": _count(answered, suggestion, c.decision.is_not(None)),
            "adopted": _count(answered, suggestion, c.decision == Decision.ADOPTED.value),
            "implemented": _count(implemented),
            "announced": func.count(distinct(customer)).filter(implemented),
            "legal_breaches": _count(
                or_(
                    and_(answered, c.resolved_at > c.legal_due_at),
                    and_(_OPEN, _within(c.legal_due_at, window), c.legal_due_at < now),
                )
            ),
        }
        names.append(list(figures))
        columns += figures.values()
    span = _span(request.periods)
    relevant = or_(
        _OPEN,
        *(
            _within(column, span)
            for column in (
                c.received_at,
                c.resolved_at,
                c.original_due_at,
                c.legal_due_at,
                c.rated_at,
                c.implemented_at,
            )
        ),
    )
    stmt = (
        select(*_keyed(key), *columns, _count(_OPEN, c.due_at < now))
        .select_from(_CASE_TABLE.outerjoin(reopened, reopened.c.case_number == c.number))
        .where(_counted(request), relevant)
        .group_by(*_keyed(key))
    )
    found: dict[str | None, tuple[list[dict[str, Any]], int]] = {}
    for row in await conn.execute(stmt):
        group, values = _group_of(row, key)
        per_period, at = [], 0
        for period_names in names:
            raw = dict(zip(period_names, values[at : at + len(period_names)], strict=True))
            at += len(period_names)
            per_period.append(_case_fields(raw))
        found[group] = (per_period, int(values[-1]))
    return found


def _case_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """One period's columns as `CaseCounts` fields."""
    months = tuple(int(v) for k, v in raw.items() if k.startswith("month"))
    ratings = tuple(int(raw[f"rating{k}"]) for k in _RATINGS)
    plain = {k: int(v) for k, v in raw.items() if not k.startswith(("month", "rating"))}
    return {**plain, "received_per_month": months, "ratings": ratings}


async def _event_counts(
    conn: AsyncConnection, request: CountRequest, key: Any
) -> dict[str | None, list[dict[str, int]]]:
    """Extensions granted in each period, from the trail: cases, not extensions."""
    e = _EVENTS
    columns = []
    for window in request.periods:
        inside = _within(e.at, window)
        columns += [
            func.count(distinct(e.case_number)).filter(e.action == _POSTPONED, inside),
            func.count(distinct(e.case_number)).filter(e.action == _EXTENDED, inside),
        ]
    span = _span(request.periods)
    stmt = (
        select(*_keyed(key), *columns)
        .select_from(_EVENT_TABLE.join(_CASE_TABLE, _CASES.number == e.case_number))
        .where(_counted(request), e.action.in_((_POSTPONED, _EXTENDED)), _within(e.at, span))
        .group_by(*_keyed(key))
    )
    found: dict[str | None, list[dict[str, int]]] = {}
    for row in await conn.execute(stmt):
        group, values = _group_of(row, key)
        found[group] = [
            {"postponed": int(values[2 * i]), "legal_extended": int(values[2 * i + 1])}
            for i in range(len(request.periods))
        ]
    return found


async def _answer_days(
    conn: AsyncConnection, request: CountRequest, key: Any
) -> dict[str | None, list[dict[tuple[int, int], int]]]:
    """Answers per (day received, day answered) in bank time, per period."""
    offset = int(request.day_offset.total_seconds())
    received = local_day(_CASES.received_at, offset).label("received_day")
    answered = local_day(_CASES.resolved_at, offset).label("answered_day")
    columns = [_count(_within(_CASES.resolved_at, w)) for w in request.periods]
    stmt = (
        select(*_keyed(key), received, answered, *columns)
        .where(_counted(request), _within(_CASES.resolved_at, _span(request.periods)))
        .group_by(*_keyed(key), received, answered)
    )
    found: dict[str | None, list[dict[tuple[int, int], int]]] = defaultdict(
        lambda: [{} for _ in request.periods]
    )
    for row in await conn.execute(stmt):
        group, (received_day, answered_day, *per_period) = _group_of(row, key)
        for i, answers in enumerate(per_period):
            if answers:
                found[group][i][(int(received_day), int(answered_day))] = int(answers)
    return dict(found)


async def _repeats(conn: AsyncConnection, request: CountRequest) -> tuple[Repeats, ...]:
    """Customers with two or more complaints received in each period. Customers who
    asked to be forgotten share one placeholder identity and are left out."""
    c, periods = _CASES, request.periods
    per_customer = (
        select(
            *(
                _count(_within(c.received_at, w)).label(f"complaints{i}")
                for i, w in enumerate(periods)
            )
        )
        .where(
            _counted(request),
            c.type == CaseType.COMPLAINT.value,
            c.customer_user_id != FORGOTTEN_USER,
            _within(c.received_at, _span(periods)),
        )
        .group_by(c.customer_platform, c.customer_user_id)
        .subquery()
    )
    columns = []
    for i in range(len(periods)):
        complaints = per_customer.c[f"complaints{i}"]
        columns += [
            _count(complaints >= 2),
            func.coalesce(func.sum(complaints).filter(complaints >= 2), 0),
        ]
    row = (await conn.execute(select(*columns))).one()
    return tuple(Repeats(int(row[2 * i]), int(row[2 * i + 1])) for i in range(len(periods)))
