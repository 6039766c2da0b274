"""Benchmark: what a `/metrics` scrape costs the database (`storage.monitoring.watched`).

A scratch database is migrated and loaded, in SQL, with N cases (one in 20 open and all
of those overdue, one in 5,000 with a provisional deadline) and M outbox rows (one in
1,000 pending and about as many failed, the rest sent). Each database is then analysed
as it would be in service (PostgreSQL: VACUUM ANALYZE, which autovacuum does soon after a
load; SQLite: ANALYZE, which `PRAGMA optimize` at start does), and the scrape's reads are
timed, one scrape after another.

    .venv/bin/python -m benchmarks.metrics_scrape
    .venv/bin/python -m benchmarks.metrics_scrape --database sqlite --cases 1000000
    make bench-metrics BENCH_ARGS="--smoke"    # 2,000 cases, seconds: what CI runs

It exits 1 when a scrape does not count what was loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.service import scratch_database
from storage.database import create_engine
from storage.migrate import upgrade
from storage.monitoring import watched

PG_DB = "intake_bench_metrics"
OPEN_EVERY, PROVISIONAL_EVERY = 20, 5000
SCRAPED_AT = datetime(2026, 6, 1, tzinfo=UTC)  # after every deadline of the load

_ROWS = {
    "postgresql": "generate_series(1, :n) AS g(i)",
    "sqlite": "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n)"
    " SELECT i FROM s) AS g",
}
# A moment i minutes into 2026, as each database stores a UTC timestamp.
_MOMENT = {
    "postgresql": "timestamptz '2026-01-01' + i * interval '1 minute'",
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || i || ' minutes') || '+00:00'",
}


async def load(engine: AsyncEngine, cases: int, outbox: int) -> None:
    # The statements are put together from this module's constants only (hence the noqa).
    rows, at = _ROWS[engine.dialect.name], _MOMENT[engine.dialect.name]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (number, type, status, priority, customer_platform, "  # noqa: S608
                "customer_user_id, intake_channel, channel, business_type, tags, description, "
                "attachments, received_at, due_at, original_due_at, legal_due_at, extensions, "
                "version, due_provisional_year) "
                f"SELECT 'CP-' || i, 'complaint', CASE WHEN i % {OPEN_EVERY} = 0 "
                "THEN 'in_progress' ELSE 'closed' END, 'normal', 'wechat', 'u' || i, 'wechat', "
                f"'public_platform', 'debit_card', '[]', 'x', '[]', {at}, {at}, {at}, {at}, "
                f"'[]', 0, CASE WHEN i % {PROVISIONAL_EVERY} = 0 THEN 2027 END FROM {rows}"
            ),
            {"n": cases},
        )
        await conn.execute(
            text(
                "INSERT INTO outbox (platform, address, to_customer, payload, idempotency_key, "  # noqa: S608
                "status, attempts, next_attempt_at, created_at) "
                "SELECT CASE WHEN i % 2 = 0 THEN 'wechat' ELSE 'telegram' END, "
                "'a' || (i % 1000), true, '{}', 'k' || i, CASE WHEN i % 1000 = 0 "
                "THEN 'pending' WHEN i % 997 = 0 THEN 'failed' ELSE 'sent' END, 1, "
                f"{at}, {at} FROM {rows}"
            ),
            {"n": outbox},
        )
    async with engine.connect() as conn:
        done = await conn.execution_options(isolation_level="AUTOCOMMIT")
        postgres = engine.dialect.name == "postgresql"
        await done.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))


async def bench(kind: str, cases: int, outbox: int, scrapes: int) -> bool:
    """Times the scrapes; whether they counted the overdue cases and the pending messages
    the load put there."""
    async with scratch_database(kind, PG_DB) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            await load(engine, cases, outbox)
            seen = await watched(engine, SCRAPED_AT)  # the first one warms the cache
            times = []
            for _ in range(scrapes):
                started = time.perf_counter()
                await watched(engine, SCRAPED_AT)
                times.append((time.perf_counter() - started) * 1000)
        finally:
            await engine.dispose()
    print(
        f"{kind:>10}: {cases} cases ({seen.overdue} open and overdue), {outbox} outbox rows "
        f"({sum(seen.pending.values())} pending, {sum(seen.failed.values())} failed): "
        f"scrape reads median {statistics.median(times):.1f} ms, max {max(times):.1f} ms "
        f"over {scrapes} scrapes"
    )
    pending = outbox // 1000
    counted = seen.overdue == cases // OPEN_EVERY and sum(seen.pending.values()) == pending
    if not counted:
        print(f"{kind:>10}: WRONG: expected {cases // OPEN_EVERY} overdue, {pending} pending")
    return counted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--outbox", type=int, default=500_000)
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, both databases")
    args = parser.parse_args()
    if args.smoke:
        args.database, args.cases, args.outbox, args.scrapes = "both", 2000, 5000, 5
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    results = [asyncio.run(bench(kind, args.cases, args.outbox, args.scrapes)) for kind in kinds]
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
