"""Benchmark: a quarter's figures over a large cases table, beside one bare GROUP BY.

A scratch database is migrated and loaded with N generated cases received evenly over
2.5 years (2024-07-01 to 2026-12-31, bank time), of every type, intake channel, JR/T
axis, branch and department, with the trail the figures read: resolved, rated, extended
(deadline and legal ceiling), reopened, suggestions adopted or declined and implemented;
some complaints are merged into an earlier one. PostgreSQL is loaded with COPY and
ANALYZEd; SQLite with Core inserts in chunks of 10,000 and left without statistics, as
the service leaves it. The load time is reported apart; it is not the figure.

Then, in the same run and on the same table, it times

  (a) the bare aggregate: `SELECT type, count(*) FROM cases GROUP BY type`;
  (b) the figures of 2026Q4 as `intake report --json` counts them (`figures_report`
      over `SqlFigures`: the quarter, the one before and the same one a year earlier,
      overall and per breakdown), made on 2027-01-04 09:00;
  (c) the quarter's common problems (`intake.reporting.problems_of`: jieba over the
      texts of the quarter and of the one before);
  (d) the whole report with its files (`intake.reporting.write_report`: (b), (c), the
      HTML page, the workbook with every case and the CSV);

and prints each time, the ratio (b)/(a) and the peak memory of this process while it
ran (the resident-set high-water mark, VmHWM, reset before each measurement; with SQLite
this includes the database engine, with PostgreSQL the server's memory is not counted).
(a) is run once untimed first, so both read a warm cache.

    .venv/bin/python -m benchmarks.report_quarter                    # 1,000,000 cases, both
    .venv/bin/python -m benchmarks.report_quarter --database sqlite --cases 100000
    .venv/bin/python -m benchmarks.report_quarter --smoke            # 2,000 cases, seconds
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.rows import RowShape
from benchmarks.service import PG_BENCH_DB, scratch_database
from core.analytics.periods import Period
from core.analytics.report import figures_report
from core.cases.calendar import SHANGHAI
from core.cases.classification import BusinessType, Cause, Channel, IntakeChannel
from core.cases.values import CaseType, Decision
from intake.calendar_source import build_calendar
from intake.config import Settings
from intake.reporting import CLI_ACTOR, problems_of, write_report
from storage.analytics import SqlFigures
from storage.database import create_engine
from storage.migrate import upgrade
from storage.tables import CaseEventRow, CaseRow

FIRST = datetime(2024, 7, 1, tzinfo=SHANGHAI)
END = datetime(2027, 1, 1, tzinfo=SHANGHAI)  # the data stop at the end of 2026Q4
QUARTER = Period.quarter(2026, 4)
NOW = datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI)  # the first working morning after it
# The generator reckons in UTC, which is cheaper than in a named zone.
FIRST_UTC, NOW_UTC, BANK_OFFSET = FIRST.astimezone(UTC), NOW.astimezone(UTC), timedelta(hours=8)
BARE = "SELECT type, count(*) FROM cases GROUP BY type"
CHUNK = 10_000
SMOKE_CASES = 2_000
CASES = CaseRow.metadata.tables["cases"]
EVENTS = CaseEventRow.metadata.tables["case_events"]
EVENT_COLUMNS = [c.name for c in EVENTS.columns if c.name != "id"]
JSON_COLUMNS = {"tags", "attachments", "extensions", "before", "after"}
STAFF = "staff:1"
BRANCHES = [f"第{i:02d}支行" for i in range(1, 31)]
DEPARTMENTS = {
    BusinessType.DEBIT_CARD: "cards",
    BusinessType.CREDIT_CARD: "cards",
    BusinessType.LOANS: "loans",
    BusinessType.WEALTH_MANAGEMENT: "wealth",
    BusinessType.AGENCY_SALES: "wealth",
    BusinessType.FOREIGN_EXCHANGE: "wealth",
}  # every other business type: "retail"
DAYS = {CaseType.COMPLAINT: 3, CaseType.SUGGESTION: 5, CaseType.PRAISE: 5}
CHANNELS, BUSINESSES, CAUSES = list(Channel), list(BusinessType), list(Cause)
INTAKES = [c.value for c in IntakeChannel]
OPEN = ("assigned", "in_progress", "waiting_for_customer")
T = TypeVar("T")
_COMPLAINT, _SUGGESTION, _PRAISE = CaseType.COMPLAINT, CaseType.SUGGESTION, CaseType.PRAISE


@dataclass
class Generated:
    """One case as its row, and its trail."""

    case: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    def record(self, at: datetime, action: str, **after: Any) -> None:
        self.events.append(
            {
                "case_number": self.case["number"],
                "at": at,
                "actor": STAFF,
                "action": action,
                "before": {},
                "after": {k: str(v) for k, v in after.items()},
                "note": None,
            }
        )


def generate(cases: int, seed: int = 14) -> Iterator[Generated]:
    """Cases in order of receipt, each with its trail, the same for the same seed."""
    rng = random.Random(seed)
    span = (END - FIRST).total_seconds()
    customers = max(1, cases // 4)  # so that some complain more than once a quarter
    complaints: list[str] = []  # recent complaint numbers, to merge repeats into
    for n in range(cases):
        received = FIRST_UTC + timedelta(seconds=span * (n + rng.random()) / cases)
        draw = rng.random()
        kind = _COMPLAINT if draw < 0.7 else _SUGGESTION if draw < 0.9 else _PRAISE
        channel = rng.choice(CHANNELS)
        business = rng.choice(BUSINESSES)
        platform = rng.choice(("telegram", "wechat"))
        intake = platform if rng.random() < 0.9 else rng.choice(INTAKES)
        due = received + timedelta(days=DAYS[kind])
        number = f"{kind.prefix}-{received + BANK_OFFSET:%Y%m%d}-{n:07d}"
        row: dict[str, Any] = {
            "number": number,
            "type": kind.value,
            "status": rng.choice(OPEN),
            "priority": "normal",
            "customer_platform": platform,
            "customer_user_id": str(rng.randrange(customers)),
            "contact_name": None,
            "contact_phone": None,
            "consent_at": None,
            "intake_channel": intake,
            "channel": channel.value,
            "business_type": business.value,
            "cause": None,
            "tags": [],
            "branch": rng.choice(BRANCHES) if channel is Channel.COUNTER else None,
            "description": "ATM 吞卡后网点无人处理，排队一个小时。",
            "desired_outcome": None,
            "attachments": [],
            "department": DEPARTMENTS.get(business, "retail"),
            "assignee": "1",
            "resolution": None,
            "received_at": received,
            "due_at": due,
            "original_due_at": due,
            "due_counted_from": None,
            "due_working_days": None,
            "due_provisional_year": None,
            "legal_due_at": received + timedelta(days=15),
            "resolved_at": None,
            "closed_at": None,
            "extensions": [],
            "decision": None,
            "linked_to": None,
            "merged_into": None,
            "implemented_at": None,
            "satisfaction": None,
            "satisfaction_comment": None,
            "rated_at": None,
            "forgotten_at": None,
            "version": 1,
        }
        made = Generated(row)
        if kind is CaseType.COMPLAINT and complaints and rng.random() < 0.01:
            row.update(merged_into=rng.choice(complaints), status="closed", closed_at=received)
            made.record(received, "closed")
        else:
            _handle(made, rng, kind)
        if kind is CaseType.COMPLAINT:
            complaints = [*complaints[-99:], number]
        yield made


def _handle(made: Generated, rng: random.Random, kind: CaseType) -> None:
    """What became of a case by NOW: extended, answered (late or not), rated, reopened,
    decided, implemented; or still open."""
    row = made.case
    received: datetime = row["received_at"]
    if rng.random() < 0.05:
        when = received + timedelta(days=1)
        row["legal_due_at"] += timedelta(days=15)
        row["due_at"] += timedelta(days=5)
        made.record(when, "extended", legal_due_at=row["legal_due_at"])
        made.record(when, "postponed", due_at=row["due_at"])
    answered = received + timedelta(hours=min(rng.expovariate(1 / 60), 24 * 25))
    if rng.random() < 0.02 or answered >= NOW_UTC:
        return  # forgotten in a drawer, or not answered yet
    _answer(made, rng, kind, answered)
    if rng.random() < 0.03 and answered + timedelta(days=2) < NOW_UTC:
        reopened = answered + timedelta(days=2)
        due = reopened + timedelta(days=DAYS[kind])
        row.update(
            status="reopened", due_at=due, original_due_at=due, resolved_at=None, closed_at=None
        )
        row.update(satisfaction=None, rated_at=None, decision=None)
        made.record(reopened, "reopened", due_at=due)
        again = reopened + timedelta(hours=rng.expovariate(1 / 40))
        if again < NOW_UTC:
            _answer(made, rng, kind, again)


def _answer(made: Generated, rng: random.Random, kind: CaseType, answered: datetime) -> None:
    row = made.case
    row.update(status="resolved", resolved_at=answered, resolution="已处理")
    if kind is CaseType.SUGGESTION:
        decision = Decision.ADOPTED if rng.random() < 0.55 else Decision.DECLINED
        row["decision"] = decision.value
        made.record(answered, decision.value)
        implemented = answered + timedelta(days=20)
        if decision is Decision.ADOPTED and rng.random() < 0.4 and implemented < NOW_UTC:
            row["implemented_at"] = implemented
            made.record(implemented, "implemented")
    else:
        if kind is CaseType.COMPLAINT:
            row["cause"] = rng.choice(CAUSES).value
        made.record(answered, "resolved")
    rated = answered + timedelta(hours=2)
    if rng.random() < 0.5 and rated < NOW_UTC:
        score = rng.choices(range(1, 6), weights=(5, 5, 10, 30, 50))[0]
        row.update(satisfaction=score, rated_at=rated)
        made.record(rated, "rated", satisfaction=score)
    if answered + timedelta(days=7) < NOW_UTC:
        row.update(status="closed", closed_at=answered + timedelta(days=7))


def chunks(cases: int) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The generated cases and their trails, CHUNK cases at a time (cases first: the
    trail refers to them)."""
    made = generate(cases)
    while batch := [g for _, g in zip(range(CHUNK), made, strict=False)]:
        yield [g.case for g in batch], [e for g in batch for e in g.events]


# The columns `generate` fills; the others (added by later migrations) get the model's
# defaults, or the load stops naming them.
CASE_SHAPE = RowShape(CaseRow, next(generate(1)).case)


async def load_postgresql(url: str, cases: int) -> tuple[int, str]:
    """COPY the cases and their trail in, then ANALYZE."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    events = 0
    try:
        for case_rows, event_rows in chunks(cases):
            await conn.copy_records_to_table(
                "cases", records=CASE_SHAPE.records(case_rows), columns=CASE_SHAPE.columns
            )
            await conn.copy_records_to_table(
                "case_events", records=_records(event_rows, EVENT_COLUMNS), columns=EVENT_COLUMNS
            )
            events += len(event_rows)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return events, "COPY + ANALYZE"


def _records(rows: list[dict[str, Any]], columns: list[str]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield tuple(_json(row[c]) if c in JSON_COLUMNS else row[c] for c in columns)


def _json(value: Any) -> str:
    return json.dumps(value) if value else "{}" if isinstance(value, dict) else "[]"


async def load_sqlite(engine: AsyncEngine, cases: int) -> tuple[int, str]:
    events = 0
    async with engine.begin() as conn:
        for case_rows, event_rows in chunks(cases):
            await conn.execute(insert(CASES), [CASE_SHAPE.row(r) for r in case_rows])
            await conn.execute(insert(EVENTS), event_rows)
            events += len(event_rows)
    return events, f"inserts of {CHUNK:,} cases"


@dataclass
class Measured:
    seconds: float
    peak_mb: float  # this process's resident-set high-water mark while it ran


def _reset_peak() -> bool:
    """Reset the resident-set high-water mark to the current size (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # since the start


async def measure(work: Callable[[], Awaitable[T]]) -> tuple[T, Measured]:
    _reset_peak()
    started = time.perf_counter()
    result = await work()
    return result, Measured(time.perf_counter() - started, _peak_mb())


async def bare_group_by(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {kind: int(n) for kind, n in await conn.execute(text(BARE))}


def digest(figures: dict[str, Any]) -> str:
    """A short fingerprint of every figure, to tell whether a change kept them the same."""
    flat = json.dumps(figures, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(flat).hexdigest()[:12]


async def figures_only(engine: AsyncEngine, settings: Settings) -> dict[str, Any]:
    """The figures alone, as `figures_of` counts them, without the common problems."""
    report = await figures_report(
        SqlFigures(engine),
        QUARTER,
        now=NOW,
        calendar=build_calendar(settings),
        satisfaction=settings.satisfaction,
    )
    return report.as_json()


async def whole_report(engine: AsyncEngine, settings: Settings) -> Measured:
    """The report with its files (HTML, XLSX, CSV) into a scratch folder, timed."""
    with tempfile.TemporaryDirectory() as folder:
        _, measured = await measure(
            lambda: write_report(
                engine,
                settings,
                QUARTER,
                now=NOW,
                out_dir=Path(folder),
                reveal=False,
                actor=CLI_ACTOR,
                progress=None,
            )
        )
    return measured


async def run(kind: str, cases: int, pg_database: str) -> None:
    async with scratch_database(kind, pg_database) as url:
        engine = create_engine(url)
        settings = Settings(database_url=url)
        try:
            await upgrade(engine)
            started = time.perf_counter()
            if kind == "postgresql":
                events, how = await load_postgresql(url, cases)
            else:
                events, how = await load_sqlite(engine, cases)
            loaded = time.perf_counter() - started
            print(
                f"{kind:>10}: {cases:,} cases and {events:,} trail events loaded in "
                f"{loaded:.1f} s ({how}, {(cases + events) / loaded:,.0f} rows/s)"
            )
            await bare_group_by(engine)  # warms the cache for both measurements
            per_type, bare = await measure(lambda: bare_group_by(engine))
            figures, full = await measure(lambda: figures_only(engine, settings))
            counted = sum(per_type.values())
            if counted != cases:
                print(f"{'':>10}  UNEXPECTED: the bare aggregate counted {counted:,} cases")
            print(f"{'':>10}  (a) {BARE}: {bare.seconds:.3f} s, peak RSS {bare.peak_mb:,.0f} MB")
            print(
                f"{'':>10}  (b) figures of {QUARTER.label} (3 periods x overall + "
                f"{len(figures['breakdowns'])} breakdowns): {full.seconds:.3f} s, "
                f"peak RSS {full.peak_mb:,.0f} MB; (b)/(a) = {full.seconds / bare.seconds:.1f}"
            )
            print(
                f"{'':>10}      received {figures['received']:,}, on time "
                f"{figures['on_time']['rate']}, satisfied {figures['satisfied']['rate']}, "
                f"adopted {figures['adopted']['rate']}; digest {digest(figures)}"
            )
            problems, found = await measure(lambda: problems_of(engine, QUARTER, SHANGHAI))
            print(
                f"{'':>10}  (c) common problems of {QUARTER.label} and the quarter before "
                f"(jieba): {found.seconds:.2f} s, peak RSS {found.peak_mb:,.0f} MB; "
                f"{len(problems)} problems"
            )
            report = await whole_report(engine, settings)
            print(
                f"{'':>10}  (d) the whole report, (b) and (c) with the HTML, XLSX and CSV: "
                f"{report.seconds:.2f} s, peak RSS {report.peak_mb:,.0f} MB"
            )
        finally:
            await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument(
        "--smoke", action="store_true", help=f"a quick run of {SMOKE_CASES:,} cases (CI)"
    )
    parser.add_argument(
        "--pg-database",
        default=PG_BENCH_DB,
        help="the scratch PostgreSQL database, created and dropped (default %(default)s)",
    )
    args = parser.parse_args()
    cases = SMOKE_CASES if args.smoke else args.cases
    print(f"peak memory: {'VmHWM, reset before each' if _reset_peak() else 'ru_maxrss'}")
    kinds = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    for kind in kinds:
        await run(kind, cases, args.pg_database)


if __name__ == "__main__":
    asyncio.run(main())
