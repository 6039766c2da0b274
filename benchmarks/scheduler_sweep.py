"""Benchmark: the scheduler's sweeps over large tables, against a bare indexed select.

A scratch database is migrated and loaded with N cases (PostgreSQL: COPY; SQLite: Core
inserts in chunks of 10,000), as the service would hold them between two sweeps: each
case's `chase_at` (when the scheduler is to read it again) already set by earlier
sweeps. A share is overdue at the chosen moment (their moment has come); the rest are
assigned, with deadlines weeks away. A share of cases is resolved, half of them due for
the survey's reminder. Dialogues (some intakes abandoned), sent outbox messages (some
old and not yet redacted) and stored replies (some old) give retention something to do.
One lead is registered, so every alert has a recipient.

At a working-day morning it times, per database:
- the deadline sweep raising every due alert (the first sweep), then the sweep a minute
  later with nothing new to raise, each against a bare select of the rows it must read
  (`cases WHERE chase_at <= now AND status IN (open)`, by the partial index);
- the same sweep after a share of cases was stored again (changed by staff: each is
  read once, nothing to raise), against the bare select of those rows;
- survey chasing (reminders), then again with nothing to do, against its bare select;
- retention (forget abandoned intakes, redact old messages), then again with nothing to
  do, against the bare selects of the rows each must look at.
The "nothing to do" runs and the bare selects are the median of five. The load time is
reported apart. PostgreSQL is ANALYZEd after the load; SQLite is left without statistics,
as the service leaves it. Any wrong count (alerts, reminders, rows forgotten or
redacted) or problem for the administrators makes it exit non-zero.

    .venv/bin/python -m benchmarks.scheduler_sweep                      # both, 1,000,000
    .venv/bin/python -m benchmarks.scheduler_sweep --database sqlite --cases 100000
    .venv/bin/python -m benchmarks.scheduler_sweep --smoke              # seconds (CI)
    .venv/bin/python -m benchmarks.scheduler_sweep --explain   # which statements dominate

With `--explain` the SQL each deadline sweep sends is timed per statement, and the
statement that took longest in total (and the single slowest call, if another) is shown
with its plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), run with the
parameters of its slowest execution.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Select, event, func, insert, select, text, update
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.rows import RowShape
from benchmarks.service import scratch_database
from core.cases.calendar import SHANGHAI
from core.cases.values import OPEN_STATUSES as OPEN
from core.chasing.alerts import chase_deadlines
from core.chasing.retention import REPLIES_KEPT, forget_abandoned_intakes, redact_delivered
from core.chasing.rules import BusinessHours
from core.customers.dialogue.state import Dialogue, Step
from core.ports import UnitOfWork
from core.survey.satisfaction import SURVEY_OPEN_FOR, chase_surveys
from intake.calendar_source import load_calendar
from storage.database import create_engine
from storage.migrate import upgrade
from storage.tables import (
    CaseAlertRow,
    CaseRow,
    DeliveryRow,
    DepartmentRow,
    DialogueRow,
    OutboxRow,
    StaffIdentityRow,
    StaffRow,
)
from storage.unit_of_work import SqlUnitOfWork

# Friday 3 April 2026, 10:00 in Shanghai: a working day (the Qingming break starts on
# the 4th), inside business hours.
NOW = datetime(2026, 4, 3, 10, 0, tzinfo=SHANGHAI)
CHUNK = 10_000
SMOKE_CASES = 2_000
PG_NAME = "intake_bench_sweep"
DEPARTMENT = "cards"
LEAD_CHAT = "9001"  # the lead's Telegram chat: where every alert goes
OPEN_STATUSES = sorted(s.value for s in OPEN)
DIALOGUE_IDLE = timedelta(minutes=30)
MESSAGES_KEPT = timedelta(days=7)
RUNS = 5  # of each "nothing to do" run and bare select; the median is reported
CACHE_HIT = CacheStats.CACHE_HIT


class CountedAlerts:
    """What the administrators would be told; a sound sweep tells them nothing."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def alert_admins(self, problem: str, within: UnitOfWork | None = None) -> None:
        self.problems.append(problem)


@dataclass(frozen=True)
class Shares:
    """Which rows of the load have something to do: every `every`-th, at an offset."""

    cases: int
    every: int  # 1 / the share of cases overdue, changed, resolved...

    def picked(self, n: int, offset: int) -> bool:
        return n % self.every == offset

    def count(self, total: int, offset: int) -> int:
        return len(range(offset, total, self.every))

    @property
    def overdue(self) -> int:
        return self.count(self.cases, 0)

    @property
    def changed(self) -> int:
        return self.count(self.cases, self.every // 2)

    @property
    def surveys_due(self) -> int:  # resolved, their reminder due (the other half: sent)
        return self.count(self.cases, 1) - self.count(self.cases, 1) // 2

    @property
    def side(self) -> int:  # dialogues, outbox messages, stored replies: each
        return max(self.cases // 10, self.every)

    @property
    def side_due(self) -> int:
        return self.count(self.side, 0)


def case_rows(shares: Shares) -> Iterator[dict[str, Any]]:
    """Cases in number order, each with the `chase_at` earlier sweeps left it."""
    resolved_seen = 0
    for n in range(shares.cases):
        row: dict[str, Any] = {
            "number": f"CP-20260301-{n:07d}",
            "type": "complaint",
            "status": OPEN_STATUSES[n % len(OPEN_STATUSES)],
            "priority": "normal",
            "customer_platform": "telegram",
            "customer_user_id": str(100_000 + n % 50_000),
            "intake_channel": "telegram",
            "channel": "public_platform",
            "business_type": "debit_card",
            "description": "ATM 吞卡后网点无人处理。",
            "department": DEPARTMENT,
            "assignee": "1",  # the lead, staff id 1
            "version": 1,
        }
        if shares.picked(n, 0):
            received = NOW - timedelta(days=3, hours=1)
            due_at = NOW - timedelta(hours=1)  # past its deadline, not yet a day past it
            chase_at = due_at  # the overdue alert's moment
        else:
            received = NOW - timedelta(minutes=n % 43_200)  # within the last 30 days
            due_at = NOW + timedelta(days=21 + n % 40, minutes=n % 600)
            chase_at = due_at - timedelta(days=2)  # about its reminder
        row |= {"received_at": received, "due_at": due_at, "original_due_at": due_at}
        row |= {"legal_due_at": due_at + timedelta(days=12), "chase_at": chase_at}
        if shares.picked(n, 1):
            resolved_seen += 1
            resolved = NOW - timedelta(days=3)
            reminded = resolved_seen % 2 == 0  # by an earlier run: read at the expiry
            row |= {"status": "resolved", "resolved_at": resolved, "resolution": "已处理"}
            row["chase_at"] = resolved + (SURVEY_OPEN_FOR if reminded else timedelta(days=1))
        yield row


def dialogue_rows(shares: Shares) -> Iterator[dict[str, Any]]:
    """Dialogues; every `every`-th an intake abandoned an hour ago."""
    open_intake = Dialogue(step=Step.DESCRIPTION).to_json()
    for n in range(shares.side):
        abandoned = shares.picked(n, 0)
        yield {
            "platform": "wechat",
            "user_id": f"o{n:09d}",
            "state": open_intake if abandoned else Dialogue().to_json(),
            "last_message_at": NOW - timedelta(hours=1 if abandoned else 30 * 24),
            "open_intake": abandoned,
        }


def outbox_rows(shares: Shares) -> Iterator[dict[str, Any]]:
    """Sent messages; every `every`-th old and still whole, the others redacted."""
    for n in range(shares.side):
        sent = NOW - MESSAGES_KEPT - timedelta(days=1, minutes=n % 1000)
        whole = shares.picked(n, 0)
        yield {
            "platform": "telegram",
            "address": LEAD_CHAT,
            "to_customer": False,
            "payload": {"text": "overdue"} if whole else {"redacted": True},
            "idempotency_key": f"bench:{n}",
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": sent,
            "created_at": sent,
            "sent_at": sent,
            "redacted_at": None if whole else sent + MESSAGES_KEPT,
        }


def delivery_rows(shares: Shares) -> Iterator[dict[str, Any]]:
    """Platform deliveries handled; every `every`-th with its passive reply still kept."""
    for n in range(shares.side):
        kept = shares.picked(n, 0)
        yield {
            "key": f"wechat:{n}",
            "at": NOW - REPLIES_KEPT - timedelta(minutes=1 + n % 1000),
            "response": "<xml>reply</xml>" if kept else None,
            "recipient": f"wechat:o{n:09d}" if kept else None,
        }


LOADS: list[tuple[type[Any], Callable[[Shares], Iterator[dict[str, Any]]]]] = [
    (CaseRow, case_rows),
    (DialogueRow, dialogue_rows),
    (OutboxRow, outbox_rows),
    (DeliveryRow, delivery_rows),
]


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


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
        yield chunk


async def load(engine: AsyncEngine, url: str, shares: Shares) -> str:
    """Every table's rows, completed from the model's defaults (`RowShape`). On
    PostgreSQL the cases go by COPY (the others hold encrypted columns, which only the
    model's types write) and everything is ANALYZEd."""
    for model, rows in LOADS:
        first = next(rows(shares))
        shape = RowShape(model, first)
        if model is CaseRow and engine.dialect.name == "postgresql":
            raw = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                await raw.copy_records_to_table(
                    shape.name, records=shape.records(rows(shares)), columns=shape.columns
                )
            finally:
                await raw.close()
            continue
        table = model.metadata.tables[shape.name]
        async with engine.begin() as conn:
            for chunk in chunks(rows(shares)):
                await conn.execute(insert(table), [shape.row(r) for r in chunk])
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        return "COPY of cases, inserts of the rest + ANALYZE"
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
    params = statement.params or ()
    if params and isinstance(params[0], (list, tuple)):
        params = params[0]  # an executemany: the plan of its first row
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        if raw is None:
            raise RuntimeError("the connection was closed under the benchmark")
        if engine.dialect.name == "postgresql":
            transaction = raw.transaction()
            await transaction.start()
            try:
                rows = await raw.fetch(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, *params, timeout=600
                )
            finally:
                await transaction.rollback()
            return "\n".join(f"      {r[0]}" for r in rows)
        cursor = await raw.execute("EXPLAIN QUERY PLAN " + statement.sql, params)
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


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await work()
    return result, time.perf_counter() - started


async def median_of(work: Callable[[], Awaitable[Any]]) -> tuple[Any, float]:
    """The result of the last of RUNS runs, and the median time."""
    times, result = [], None
    for _ in range(RUNS):
        result, took = await timed(work)
        times.append(took)
    return result, statistics.median(times)


def bare_select(engine: AsyncEngine, stmt: Select[Any]) -> Callable[[], Awaitable[int]]:
    """The select alone, its rows fetched: the least a run reading them can cost."""

    async def run() -> int:
        async with engine.connect() as conn:
            return len((await conn.execute(stmt)).all())

    return run


def due_cases(now: datetime, status: Any) -> Select[Any]:
    cases = CaseRow.metadata.tables["cases"]
    return select(cases).where(cases.c.chase_at <= now, status(cases.c.status))


@dataclass
class Checks:
    """What the runs should have done; any difference fails the benchmark."""

    wrong: list[str] = field(default_factory=list)

    def expect(self, what: str, got: int, wanted: int) -> None:
        if got != wanted:
            self.wrong.append(f"{what}: {got:,}, expected {wanted:,}")


def pair(label: str, run_s: float, rows: int, select_s: float) -> str:
    return (
        f"{label}: {run_s * 1000:8.1f} ms; bare select of its {rows:,} rows "
        f"{select_s * 1000:7.1f} ms; ratio {run_s / select_s:5.1f}x"
    )


async def run(kind: str, shares: Shares, explain_plans: bool, checks: Checks) -> None:
    calendar = load_calendar(None, SHANGHAI)
    hours = BusinessHours()
    alerts = CountedAlerts()
    async with scratch_database(kind, PG_NAME) as url:
        engine = create_engine(url)
        statements = StatementLog()
        statements.attach(engine)

        def uow() -> UnitOfWork:
            return SqlUnitOfWork(engine)

        async def sweep(now: datetime) -> int:
            statements.on = explain_plans
            raised = await chase_deadlines(
                uow, calendar=calendar, hours=hours, alerts=alerts, now=now
            )
            statements.on = False
            return raised

        try:
            await upgrade(engine)
            await register_lead(engine)
            how, loaded = await timed(lambda: load(engine, url, shares))
            print(
                f"{kind:>10}: {shares.cases:,} cases, {shares.overdue:,} overdue; "
                f"{shares.side:,} each of dialogues, sent messages, stored replies; "
                f"loaded in {loaded:.1f} s ({how})"
            )
            is_open = lambda c: c.in_(OPEN_STATUSES)  # noqa: E731
            is_resolved = lambda c: c == "resolved"  # noqa: E731

            # The deadline sweep: all due alerts, then nothing new, then changed cases.
            later = NOW + timedelta(minutes=1)
            rows, first_select = await median_of(bare_select(engine, due_cases(NOW, is_open)))
            first, first_s = await timed(lambda: sweep(NOW))
            first_sql = statements.take()
            checks.expect("alerts raised by the first sweep", first, shares.overdue)
            print(f"{'':>10}  {pair('first sweep      ', first_s, rows, first_select)}")
            print(f"{'':>10}  {'':19}({first:,} alerts raised, claimed and queued)")
            rows, idle_select = await median_of(bare_select(engine, due_cases(later, is_open)))
            again, idle_s = await median_of(lambda: sweep(later))
            idle_sql = statements.take()
            checks.expect("alerts raised by the second sweep", again, 0)
            print(f"{'':>10}  {pair('nothing new      ', idle_s, rows, idle_select)}")
            await store_again(engine, shares)
            rows, changed_select = await median_of(bare_select(engine, due_cases(later, is_open)))
            again, changed_s = await timed(lambda: sweep(later))
            checks.expect("cases stored again", rows, shares.changed)
            checks.expect("alerts raised after the changes", again, 0)
            print(f"{'':>10}  {pair('after changes    ', changed_s, rows, changed_select)}")
            print(f"{'':>10}  {'':19}({rows:,} cases stored again since: each read once)")

            # Survey chasing: the reminders due, then nothing to do.
            rows, survey_select = await median_of(bare_select(engine, due_cases(NOW, is_resolved)))
            reminded, survey_s = await timed(
                lambda: chase_surveys(uow, calendar=calendar, hours=hours, now=NOW)
            )
            checks.expect("survey reminders", reminded, shares.surveys_due)
            print(f"{'':>10}  {pair('surveys          ', survey_s, rows, survey_select)}")
            rows, survey_idle_select = await median_of(
                bare_select(engine, due_cases(later, is_resolved))
            )
            again, survey_idle_s = await median_of(
                lambda: chase_surveys(uow, calendar=calendar, hours=hours, now=later)
            )
            checks.expect("survey reminders, second run", again, 0)
            print(f"{'':>10}  {pair('surveys, again   ', survey_idle_s, rows, survey_idle_select)}")

            # Retention: forgetting and redaction, then nothing to do.
            for label, job, selects, wanted in retention(engine, uow, shares):
                rows, select_s = await median_of(selects)
                done, job_s = await timed(job)
                checks.expect(label, done, wanted)
                print(f"{'':>10}  {pair(f'{label:<17}', job_s, rows, select_s)}")
                rows, select_s = await median_of(selects)
                done, job_s = await median_of(job)
                checks.expect(f"{label}, second run", done, 0)
                again_label = f"{label}, again"
                print(f"{'':>10}  {pair(f'{again_label:<17}', job_s, rows, select_s)}")

            async with engine.connect() as conn:
                claimed = await conn.scalar(select(func.count()).select_from(CaseAlertRow))
            checks.expect("alerts in the log", claimed or 0, shares.overdue + shares.surveys_due)
            if alerts.problems:
                checks.wrong.append(
                    f"{len(alerts.problems):,} problems for the administrators, the first: "
                    f"{alerts.problems[0]}"
                )
            if explain_plans:
                await breakdown(engine, "first sweep", first_s, first_sql)
                await breakdown(engine, "nothing new", idle_s * RUNS, idle_sql)
        finally:
            await engine.dispose()


async def store_again(engine: AsyncEngine, shares: Shares) -> None:
    """A share of the quiet cases changed by staff: stored again, which sets their
    `chase_at` as the repository does (`first_look`: an open case at once)."""
    cases = CaseRow.metadata.tables["cases"]
    numbers = [f"CP-20260301-{n:07d}" for n in range(shares.every // 2, shares.cases, shares.every)]
    async with engine.begin() as conn:
        for start in range(0, len(numbers), CHUNK):
            await conn.execute(
                update(cases)
                .where(cases.c.number.in_(numbers[start : start + CHUNK]))
                .values(chase_at=cases.c.received_at, version=cases.c.version + 1)
            )


def retention(
    engine: AsyncEngine, uow: Callable[[], UnitOfWork], shares: Shares
) -> list[tuple[str, Callable[[], Awaitable[int]], Callable[[], Awaitable[int]], int]]:
    """(label, the job, the bare selects of the rows it must look at, what it should do)."""
    dialogues = DialogueRow.metadata.tables["dialogues"]
    outbox = OutboxRow.metadata.tables["outbox"]
    deliveries = DeliveryRow.metadata.tables["deliveries"]
    abandoned = select(dialogues.c.platform, dialogues.c.user_id).where(
        dialogues.c.open_intake.is_(True), dialogues.c.last_message_at < NOW - DIALOGUE_IDLE
    )
    old_messages = select(outbox.c.id).where(
        outbox.c.redacted_at.is_(None),
        outbox.c.status == "sent",
        outbox.c.sent_at < NOW - MESSAGES_KEPT,
    )
    old_replies = select(deliveries.c.key).where(
        deliveries.c.response.is_not(None), deliveries.c.at < NOW - REPLIES_KEPT
    )

    async def both_selects() -> int:
        return await bare_select(engine, old_messages)() + await bare_select(engine, old_replies)()

    return [
        (
            "forgetting",
            lambda: forget_abandoned_intakes(uow, idle=DIALOGUE_IDLE, now=NOW),
            bare_select(engine, abandoned),
            shares.side_due,
        ),
        (
            "redaction",
            lambda: redact_delivered(uow, kept=MESSAGES_KEPT, now=NOW),
            both_selects,
            2 * shares.side_due,
        ),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument(
        "--every", type=int, default=100, help="1 in how many cases is overdue (and so on)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a quick run of {SMOKE_CASES:,} cases on both databases (CI)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="time each statement, show the top one's plan"
    )
    args = parser.parse_args()
    shares = Shares(SMOKE_CASES if args.smoke else args.cases, args.every)
    kinds = ["postgresql", "sqlite"] if args.database == "both" or args.smoke else [args.database]
    checks = Checks()
    for kind in kinds:
        await run(kind, shares, args.explain, checks)
    if checks.wrong:
        print("UNEXPECTED:\n  " + "\n  ".join(checks.wrong))
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
