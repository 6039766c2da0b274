"""Benchmark: the scheduler's deadline sweep (`chase_deadlines`) over a large cases table.

A scratch database is migrated and loaded with N open cases (PostgreSQL: COPY; SQLite:
Core inserts in chunks of 10,000), of which a share is overdue at the chosen moment and the
rest are assigned with deadlines weeks away, so they are not due for any alert. One
lead is registered, so every alert has a recipient. Then two sweeps are timed at a
working-day morning: the first raises all the due alerts (claims them and queues their
messages), the second, a minute later, finds nothing new to raise: the cost the
scheduler pays every minute. The load time is reported apart; it is not the figure.
PostgreSQL is ANALYZEd after the load (autovacuum would do so soon enough); SQLite is
left without statistics, as the service leaves it.

    .venv/bin/python -m benchmarks.scheduler_sweep
    .venv/bin/python -m benchmarks.scheduler_sweep --database sqlite --cases 200000
    .venv/bin/python -m benchmarks.scheduler_sweep --explain   # which statements dominate

With `--explain` the SQL each sweep sends is timed per statement, and the statement that
took longest in total (and the single slowest call, if another) is shown with its plan
(EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), run with the parameters
of its slowest execution.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.service import scratch_database
from core.cases.calendar import SHANGHAI
from core.chasing.alerts import chase_deadlines
from core.chasing.rules import BusinessHours
from core.ports import UnitOfWork
from intake.calendar_source import load_calendar
from storage.database import create_engine
from storage.migrate import upgrade
from storage.tables import (
    CaseAlertRow,
    CaseRow,
    DepartmentRow,
    OutboxRow,
    StaffIdentityRow,
    StaffRow,
)
from storage.unit_of_work import SqlUnitOfWork

# Friday 3 April 2026, 10:00 in Shanghai: a working day (the Qingming break starts on
# the 4th), inside business hours.
NOW = datetime(2026, 4, 3, 10, 0, tzinfo=SHANGHAI)
CHUNK = 10_000
DEPARTMENT = "cards"
LEAD_CHAT = "9001"  # the lead's Telegram chat: where every alert goes
OPEN_STATUSES = ("assigned", "in_progress", "waiting_for_customer", "reopened")
CASES = CaseRow.metadata.tables["cases"]  # the table behind CaseRow, for bulk inserts
CASE_COLUMNS = [c.name for c in CASES.columns]
CACHE_HIT = CacheStats.CACHE_HIT


class CountedAlerts:
    """What the administrators would be told; a sound sweep tells them nothing."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def alert_admins(self, problem: str, within: UnitOfWork | None = None) -> None:
        self.problems.append(problem)


def case_rows(cases: int, due_share: float) -> Iterator[dict[str, Any]]:
    """Cases in number order; every (1/due_share)-th one is overdue at NOW."""
    for n in range(cases):
        due = int((n + 1) * due_share) > int(n * due_share)
        if due:
            received = NOW - timedelta(days=3, hours=1)
            due_at = NOW - timedelta(hours=1)  # past its deadline, not yet a day past it
        else:
            received = NOW - timedelta(minutes=n % 43_200)  # within the last 30 days
            due_at = NOW + timedelta(days=21 + n % 40, minutes=n % 600)
        yield {
            "number": f"CP-20260301-{n:07d}",
            "type": "complaint",
            "status": OPEN_STATUSES[n % len(OPEN_STATUSES)],
            "priority": "normal",
            "customer_platform": "telegram",
            "customer_user_id": str(100_000 + n % 50_000),
            "contact_name": None,
            "contact_phone": None,
            "consent_at": None,
            "intake_channel": "telegram",
            "channel": "public_platform",
            "business_type": "debit_card",
            "cause": None,
            "tags": [],
            "branch": None,
            "description": "ATM 吞卡后网点无人处理。",
            "desired_outcome": None,
            "attachments": [],
            "department": DEPARTMENT,
            "assignee": "1",  # the lead, staff id 1
            "resolution": None,
            "received_at": received,
            "due_at": due_at,
            "original_due_at": due_at,
            "legal_due_at": due_at + timedelta(days=12),
            "resolved_at": None,
            "closed_at": None,
            "extensions": [],
            "decision": None,
            "merged_into": None,
            "version": 1,
        }


def due_count(cases: int, due_share: float) -> int:
    return int(cases * due_share)


async def register_lead(engine: AsyncEngine) -> None:
    """One department and its lead, with a linked Telegram chat."""
    registered = NOW - timedelta(days=30)
    async with engine.begin() as conn:
        await conn.execute(
            insert(DepartmentRow).values(
                code=DEPARTMENT, name="Cards", business_types=[], is_default=True
            )
        )
        await conn.execute(
            insert(StaffRow).values(
                id=1,
                name="Lead",
                role="lead",
                department=DEPARTMENT,
                active=True,
                language="zh",
                created_at=registered,
            )
        )
        await conn.execute(
            insert(StaffIdentityRow).values(
                platform="telegram", user_id=LEAD_CHAT, staff_id=1, linked_at=registered
            )
        )


async def load_postgresql(url: str, cases: int, due_share: float) -> str:
    """COPY the cases in, then ANALYZE; returns how it was loaded."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        json_columns = {"tags", "attachments", "extensions"}

        def records() -> Iterator[tuple[Any, ...]]:
            for row in case_rows(cases, due_share):
                yield tuple("[]" if c in json_columns else row[c] for c in CASE_COLUMNS)

        await conn.copy_records_to_table("cases", records=records(), columns=CASE_COLUMNS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return "COPY + ANALYZE"


async def load_sqlite(engine: AsyncEngine, cases: int, due_share: float) -> str:
    rows = case_rows(cases, due_share)
    async with engine.begin() as conn:
        while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
            await conn.execute(insert(CASES), chunk)
    return f"inserts of {CHUNK:,}"


@dataclass
class Statement:
    calls: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    sql: str = ""
    params: Any = None
    uncached: int = 0  # executions SQLAlchemy had to compile: its cache could not serve them


@dataclass
class StatementLog:
    """Times every statement an engine sends, grouped by its shape, and counts those
    SQLAlchemy compiled afresh (its statement cache could not serve them)."""

    on: bool = False
    by_shape: dict[str, Statement] = field(default_factory=dict)

    def attach(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine

        @event.listens_for(sync, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, sql: str, params: Any, context: Any, _: Any) -> None:
            conn.info.setdefault("bench_started", []).append(time.perf_counter())
            compiled = getattr(context, "compiled", None) is not None
            if self.on and compiled and context.cache_hit is not CACHE_HIT:
                self.by_shape.setdefault(shape(sql), Statement()).uncached += 1

        @event.listens_for(sync, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
            took = time.perf_counter() - conn.info["bench_started"].pop()
            if not self.on:
                return
            entry = self.by_shape.setdefault(shape(sql), Statement())
            entry.calls += 1
            entry.seconds += took
            if took >= entry.slowest:
                entry.slowest, entry.sql, entry.params = took, sql, params

    def take(self) -> dict[str, Statement]:
        taken, self.by_shape = self.by_shape, {}
        return taken


def shape(sql: str) -> str:
    """A statement's gist: its first words and the tables it names."""
    flat = re.sub(r"\s+", " ", sql).strip()
    tables = sorted(set(re.findall(r"(?:FROM|INTO|UPDATE|JOIN) (\w+)", flat)))
    return f"{' '.join(flat.split(' ')[:2])} ({', '.join(tables)})"


async def explain(engine: AsyncEngine, statement: Statement) -> str:
    """The plan of a statement, run with the parameters of its slowest execution
    (in a transaction that is rolled back)."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        if raw is None:
            raise RuntimeError("the connection was closed under the benchmark")
        if engine.dialect.name == "postgresql":
            transaction = raw.transaction()
            await transaction.start()
            try:
                params = statement.params or ()
                rows = await raw.fetch(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, *params, timeout=600
                )
            finally:
                await transaction.rollback()
            return "\n".join(f"      {r[0]}" for r in rows)
        cursor = await raw.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params or ())
        rows = await cursor.fetchall()
        await cursor.close()
        await conn.rollback()
        return "\n".join(f"      {r[-1]}" for r in rows)


async def breakdown(
    engine: AsyncEngine, label: str, seconds: float, statements: dict[str, Statement]
) -> None:
    ranked = sorted(statements.items(), key=lambda item: -item[1].seconds)
    in_sql = sum(s.seconds for s in statements.values())
    print(
        f"    {label}: {seconds:.2f} s, of which {in_sql:.2f} s waiting on the database "
        f"(the rest is this process: SQLAlchemy, rows to cases, the alerts themselves)"
    )
    for name, s in ranked[:6]:
        print(
            f"      {s.seconds:8.3f} s  {s.calls:6,} calls, {s.uncached:6,} compiled afresh, "
            f"slowest {s.slowest * 1000:6.1f} ms  {name}"
        )
    # The statement that took longest in all, and the single slowest one if another.
    chosen = ranked[:1] + sorted(ranked, key=lambda item: -item[1].slowest)[:1]
    for name, s in dict(chosen).items():
        print(f"    plan of {name}, slowest call ({s.slowest * 1000:.1f} ms):")
        flat = re.sub(r"\s+", " ", s.sql)
        print(f"      {flat[:300]}{' ...' if len(flat) > 300 else ''}")
        print(await explain(engine, s))


async def run(kind: str, cases: int, due_share: float, explain_plans: bool) -> None:
    calendar = load_calendar(None, SHANGHAI)
    hours = BusinessHours()
    due = due_count(cases, due_share)
    async with scratch_database(kind) as url:
        engine = create_engine(url)
        statements = StatementLog()
        statements.attach(engine)
        try:
            await upgrade(engine)
            await register_lead(engine)
            start = time.perf_counter()
            if kind == "postgresql":
                how = await load_postgresql(url, cases, due_share)
            else:
                how = await load_sqlite(engine, cases, due_share)
            loaded = time.perf_counter() - start

            alerts = CountedAlerts()

            async def sweep(now: datetime) -> tuple[int, float]:
                statements.on = explain_plans
                started = time.perf_counter()
                raised = await chase_deadlines(
                    lambda: SqlUnitOfWork(engine),
                    calendar=calendar,
                    hours=hours,
                    alerts=alerts,
                    now=now,
                )
                statements.on = False
                return raised, time.perf_counter() - started

            first, first_s = await sweep(NOW)
            first_sql = statements.take()
            second, second_s = await sweep(NOW + timedelta(minutes=1))
            second_sql = statements.take()

            async with engine.connect() as conn:
                claimed = await conn.scalar(select(func.count()).select_from(CaseAlertRow))
                queued = await conn.scalar(select(func.count()).select_from(OutboxRow))
            print(
                f"{kind:>10}: {cases:,} cases, {due:,} due ({due_share:.1%}); "
                f"loaded in {loaded:.1f} s ({how}, {cases / loaded:,.0f} rows/s); "
                f"{claimed:,} alerts recorded, {queued:,} messages queued"
            )
            print(
                f"{'':>10}  first sweep: {first:,} alerts raised in {first_s:.2f} s "
                f"({cases / first_s:,.0f} cases/s, {first / first_s:,.0f} alerts/s); "
                f"second sweep: {second:,} raised in {second_s:.2f} s "
                f"({cases / second_s:,.0f} cases/s)"
            )
            if first != due or second != 0:
                print(f"{'':>10}  UNEXPECTED: {due:,} alerts expected, then none")
            if alerts.problems:
                print(
                    f"{'':>10}  UNEXPECTED: {len(alerts.problems):,} problems for the "
                    f"administrators, the first: {alerts.problems[0]}"
                )
            if explain_plans:
                await breakdown(engine, "first sweep", first_s, first_sql)
                await breakdown(engine, "second sweep", second_s, second_sql)
        finally:
            await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database", choices=["postgresql", "sqlite", "both"], default="postgresql"
    )
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01, help="share of cases due")
    parser.add_argument(
        "--explain", action="store_true", help="time each statement, show the top one's plan"
    )
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    for kind in kinds:
        await run(kind, args.cases, args.due_share, args.explain)


if __name__ == "__main__":
    asyncio.run(main())
