"""The counts behind the figures, aggregated in the database (`core.analytics`).

Every figure is a conditional count (`COUNT(*) FILTER (WHERE ...)`, which SQLite and
PostgreSQL both run) covering all requested periods at once. Each kind of count reads
the cases once for every group: one statement counts the cases at the finest grain (one
group per combination of the breakdowns' columns, a number bounded by the values those
columns take, not by the number of cases), and the same statement rolls those groups up
in SQL, once overall and once per breakdown (a materialized CTE, then UNION ALL: the same
SQL on both databases, which GROUPING SETS is not). So it goes for the cases, for the
trail (extensions), for the time-to-answer histogram and for the customers told "you
said, we did" (whose finest groups keep each customer apart: distinct customers do not
add up across groups, so the roll-up counts them distinct; only implemented suggestions
are read, by their index); a fifth statement counts repeat complainants. No case row
comes back to be counted.

Time to answer is counted as a histogram: answers per (day received, day answered) in
bank time, a few thousand buckets at most for a quarter, which
`core.analytics.definitions` turns into working days (the calendar lives there, not in
SQL) and reads the median and 90th percentile from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Table,
    and_,
    case,
    distinct,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.analytics.counting import (
    CaseCounts,
    Counted,
    CountRequest,
    Dimension,
    GroupCounts,
    Repeats,
)
from core.analytics.periods import Window
from core.cases.values import FORGOTTEN_USER, OPEN_STATUSES, CaseType, Decision
from storage.dialect import local_day, unindexed
from storage.tables import CaseEventRow, CaseRow

_CASE_TABLE: Table = CaseRow.__table__  # type: ignore[attr-defined]
_EVENT_TABLE: Table = CaseEventRow.__table__  # type: ignore[attr-defined]
_CASES, _EVENTS = _CASE_TABLE.c, _EVENT_TABLE.c
_OPEN = _CASES.status.in_(sorted(s.value for s in OPEN_STATUSES))
# A merged case counts as the one it joined. Nearly every case is unmerged: no index
# on merged_into may serve this.
_UNMERGED = unindexed(_CASES.merged_into).is_(None)
_RATINGS = range(1, 6)
# The trail's actions the figures count (core.cases.case records them).
_REOPENED, _POSTPONED, _EXTENDED = "reopened", "postponed", "extended"
# A group of the roll-up: (index of its dimension in the request, its key); overall is
# (-1, None).
_OVERALL = -1
Group = tuple[int, str | None]


def _count(*conditions: ColumnElement[bool]) -> Any:
    return func.count().filter(and_(*conditions))


def _within(column: Any, window: Window) -> ColumnElement[bool]:
    return and_(column >= window.start, column < window.end)


def _in_any(column: Any, windows: Sequence[Window]) -> ColumnElement[bool]:
    """In one of the periods (not merely between the first and the last: a year-earlier
    period leaves months between it and the others that nothing counts)."""
    return or_(*(_within(column, w) for w in windows))


def _counted(request: CountRequest) -> ColumnElement[bool]:
    """The cases a request counts: not merged into another, of its department if any."""
    if request.department is None:
        return _UNMERGED
    return and_(_UNMERGED, _CASES.department == request.department)


def _dimensions(request: CountRequest) -> list[Any]:
    return [_CASES[d.value].label(d.value) for d in request.dimensions]


def _rolled_up(
    request: CountRequest,
    finest: CTE,
    totals: Callable[[], list[Any]],
    within: Sequence[str] = (),
) -> CompoundSelect[Any]:
    """The finest groups summed up overall and per dimension: each row starts with the
    dimension's index (`_OVERALL` for all cases) and its key, then the `within` columns
    (kept apart inside each group), then `totals` (aggregates over `finest`)."""
    inner = [finest.c[name] for name in within]
    branches = [select(literal_column(str(_OVERALL)), null(), *inner, *totals()).group_by(*inner)]
    for i, dimension in enumerate(request.dimensions):
        key = finest.c[dimension.value]
        branches.append(
            select(literal_column(str(i)), key, *inner, *totals()).group_by(key, *inner)
        )
    return union_all(*branches)


def _sums(finest: CTE, names: Sequence[str]) -> Callable[[], list[Any]]:
    return lambda: [func.coalesce(func.sum(finest.c[name]), 0) for name in names]


class SqlFigures:
    """`core.analytics.counting.FigureSource` on the service's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self, request: CountRequest) -> Counted:
        async with self._engine.connect() as conn:
            cases = await _case_counts(conn, request)
            events = await _event_counts(conn, request)
            days = await _answer_days(conn, request)
            repeats = await _repeats(conn, request)
        found = _groups(request, cases, events, days)
        groups: dict[Dimension, dict[str | None, GroupCounts]] = {d: {} for d in request.dimensions}
        for (index, key), counts in found.items():
            if index != _OVERALL:
                groups[request.dimensions[index]][key] = counts
        return Counted(found[(_OVERALL, None)], groups, repeats)


def _groups(
    request: CountRequest,
    cases: dict[Group, tuple[list[dict[str, Any]], int]],
    events: dict[Group, list[dict[str, int]]],
    days: dict[Group, list[dict[tuple[int, int], int]]],
) -> dict[Group, GroupCounts]:
    """Every group's counts for every period, from the three statements'. A group some
    statement found nothing for has zeros there (no case at all: the overall group still
    has its zeros)."""
    periods = range(len(request.periods))
    nothing = [{"received_per_month": (0,) * len(m)} for m in request.months]
    found: dict[Group, GroupCounts] = {}
    for group in set(cases) | set(events) | set(days) | {(_OVERALL, None)}:
        fields, overdue = cases.get(group, (nothing, 0))
        happened: list[dict[str, Any]] = events.get(group, [{} for _ in periods])
        answers = days.get(group, [{} for _ in periods])
        per_period = tuple(
            CaseCounts(**fields[i], **happened[i], answer_days=answers[i]) for i in periods
        )
        found[group] = GroupCounts(per_period, overdue)
    return found


async def _case_counts(
    conn: AsyncConnection, request: CountRequest
) -> dict[Group, tuple[list[dict[str, Any]], int]]:
    c, now, periods = _CASES, request.now, request.periods
    reopened = select(_EVENTS.case_number).where(_EVENTS.action == _REOPENED)
    suggestion = c.type == CaseType.SUGGESTION.value
    columns: list[Any] = []
    names: list[list[str]] = []
    for i, (window, months) in enumerate(zip(periods, request.months, strict=True)):
        answered = _within(c.resolved_at, window)
        rated = _within(c.rated_at, window)
        figures: dict[str, Any] = {
            "received": _count(_within(c.received_at, window)),
            **{f"month{m}": _count(_within(c.received_at, w)) for m, w in enumerate(months)},
            "answered": _count(answered),
            "answered_on_time": _count(answered, c.resolved_at <= c.original_due_at),
            "late_open": _count(_OPEN, _within(c.original_due_at, window), c.original_due_at < now),
            "answered_reopened": _count(answered, c.number.in_(reopened)),
            "answered_rated": _count(answered, c.rated_at.is_not(None)),
            **{f"rating{k}": _count(rated, c.satisfaction == k) for k in _RATINGS},
            "decided": _count(answered, suggestion, c.decision.is_not(None)),
            "adopted": _count(answered, suggestion, c.decision == Decision.ADOPTED.value),
            "implemented": _count(_within(c.implemented_at, window)),
            "legal_breaches": _count(
                or_(
                    and_(answered, c.resolved_at > c.legal_due_at),
                    and_(_OPEN, _within(c.legal_due_at, window), c.legal_due_at < now),
                )
            ),
        }
        period_names = [f"p{i}_{name}" for name in figures]
        names.append(period_names)
        columns += [v.label(n) for n, v in zip(period_names, figures.values(), strict=True)]
    relevant = or_(
        _OPEN,
        *(
            _in_any(column, periods)
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
    dimensions = _dimensions(request)
    finest = (
        select(*dimensions, *columns, _count(_OPEN, c.due_at < now).label("overdue"))
        .where(_counted(request), relevant)
        .group_by(*dimensions)
        .cte("finest_cases")
        .prefix_with("MATERIALIZED")
    )
    summed = [name for period_names in names for name in period_names] + ["overdue"]
    announced = await _announced(conn, request)
    found: dict[Group, tuple[list[dict[str, Any]], int]] = {}
    for index, key, *sums in await conn.execute(_rolled_up(request, finest, _sums(finest, summed))):
        group = (int(index), key)
        told = announced.get(group, [0] * len(periods))
        per_period, at = [], 0
        for i, period_names in enumerate(names):
            raw = {n.split("_", 1)[1]: v for n, v in zip(period_names, sums[at:], strict=False)}
            at += len(period_names)
            per_period.append({**_case_fields(raw), "announced": told[i]})
        found[group] = (per_period, int(sums[-1]))
    return found


async def _announced(conn: AsyncConnection, request: CountRequest) -> dict[Group, list[int]]:
    """Customers told "you said, we did" in each period: the finest groups keep each
    customer apart, and the roll-up counts them distinct (distinct customers do not add
    up across groups). Only suggestions implemented in a period are read."""
    c, periods = _CASES, request.periods
    dimensions = _dimensions(request)
    customer = (c.customer_platform + ":" + c.customer_user_id).label("customer")
    finest = (
        select(
            *dimensions,
            customer,
            *(
                _count(_within(c.implemented_at, w)).label(f"implemented{i}")
                for i, w in enumerate(periods)
            ),
        )
        .where(_counted(request), _in_any(c.implemented_at, periods))
        .group_by(*dimensions, c.customer_platform, c.customer_user_id)
        .cte("finest_announced")
        .prefix_with("MATERIALIZED")
    )

    def totals() -> list[Any]:
        return [
            func.count(distinct(finest.c.customer)).filter(finest.c[f"implemented{i}"] > 0)
            for i in range(len(periods))
        ]

    rows = await conn.execute(_rolled_up(request, finest, totals))
    return {(int(index), key): [int(n) for n in told] for index, key, *told in rows}


def _case_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """One period's columns as `CaseCounts` fields."""
    months = tuple(int(v) for k, v in raw.items() if k.startswith("month"))
    ratings = tuple(int(raw[f"rating{k}"]) for k in _RATINGS)
    plain = {k: int(v) for k, v in raw.items() if not k.startswith(("month", "rating"))}
    return {**plain, "received_per_month": months, "ratings": ratings}


async def _event_counts(
    conn: AsyncConnection, request: CountRequest
) -> dict[Group, list[dict[str, int]]]:
    """Extensions granted in each period, from the trail: cases, not extensions. A case
    falls in one finest group only, so its distinct cases add up across groups."""
    e = _EVENTS
    columns = []
    for i, window in enumerate(request.periods):
        inside = _within(e.at, window)
        columns += [
            func.count(distinct(e.case_number))
            .filter(e.action == _POSTPONED, inside)
            .label(f"postponed{i}"),
            func.count(distinct(e.case_number))
            .filter(e.action == _EXTENDED, inside)
            .label(f"extended{i}"),
        ]
    dimensions = _dimensions(request)
    finest = (
        select(*dimensions, *columns)
        .select_from(_EVENT_TABLE.join(_CASE_TABLE, _CASES.number == e.case_number))
        .where(
            _counted(request),
            e.action.in_((_POSTPONED, _EXTENDED)),
            _in_any(e.at, request.periods),
        )
        .group_by(*dimensions)
        .cte("finest_events")
        .prefix_with("MATERIALIZED")
    )
    summed = [c.name for c in columns]
    found: dict[Group, list[dict[str, int]]] = {}
    for index, key, *values in await conn.execute(
        _rolled_up(request, finest, _sums(finest, summed))
    ):
        found[(int(index), key)] = [
            {"postponed": int(values[2 * i]), "legal_extended": int(values[2 * i + 1])}
            for i in range(len(request.periods))
        ]
    return found


async def _answer_days(
    conn: AsyncConnection, request: CountRequest
) -> dict[Group, list[dict[tuple[int, int], int]]]:
    """Answers per (day received, day answered) in bank time, per period."""
    offset = int(request.day_offset.total_seconds())
    received = local_day(_CASES.received_at, offset)
    answered = local_day(_CASES.resolved_at, offset)
    # One row per answer: grouped at the finest grain they would hardly be fewer (the
    # days pair up with nearly every combination), so they are only rolled up.
    columns = [
        case((_within(_CASES.resolved_at, w), 1), else_=0).label(f"answers{i}")
        for i, w in enumerate(request.periods)
    ]
    dimensions = _dimensions(request)
    finest = (
        select(
            *dimensions, received.label("received_day"), answered.label("answered_day"), *columns
        )
        .where(_counted(request), _in_any(_CASES.resolved_at, request.periods))
        .cte("finest_answers")
        .prefix_with("MATERIALIZED")
    )
    summed = [c.name for c in columns]
    stmt = _rolled_up(
        request, finest, _sums(finest, summed), within=("received_day", "answered_day")
    )
    found: dict[Group, list[dict[tuple[int, int], int]]] = defaultdict(
        lambda: [{} for _ in request.periods]
    )
    for index, key, received_day, answered_day, *per_period in await conn.execute(stmt):
        for i, answers in enumerate(per_period):
            if answers:
                found[(int(index), key)][i][(int(received_day), int(answered_day))] = int(answers)
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
            _in_any(c.received_at, periods),
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
