"""Benchmark: signed WeChat messages fired at `/wechat` of a real `intake serve`.

The load comes from this process, the service runs in its own; messages are sent on an
open-loop schedule (the N-th at start + N/rate, whether or not earlier ones have been
answered), so slow answers show up as latency instead of quietly lowering the load.
Each simulated customer walks through a complaint (`benchmarks.wechat_messages.WALK`),
starting at a different step, so cases are filed along the way; the database is asked
afterwards how many.

    .venv/bin/python -m benchmarks.wechat_webhook --database sqlite --rate 200 --messages 4000
    .venv/bin/python -m benchmarks.wechat_webhook --database postgresql --rate 200
    make bench-wechat BENCH_ARGS="--smoke"    # seconds; exits 1 on an error or no case filed
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from dataclasses import dataclass

import aiohttp
from sqlalchemy import func, select

from benchmarks.service import running_service, scratch_database
from benchmarks.wechat_messages import AES_KEY, APP_ID, TOKEN, WALK, signed_request
from storage.database import create_engine
from storage.tables import CaseRow

# One customer's complaint, message by message; customers start at different steps.
SCRIPT = [text for text, _ in WALK]


@dataclass
class Result:
    latencies: list[float]
    errors: int
    elapsed: float


async def fire(port: int, messages: int, rate: float, customers: int, encrypted: bool) -> Result:
    url = f"http://127.0.0.1:{port}/wechat"
    steps = [
        itertools.cycle(SCRIPT[i % len(SCRIPT) :] + SCRIPT[: i % len(SCRIPT)])
        for i in range(customers)
    ]
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=0)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> None:
            nonlocal errors
            customer = i % customers
            query, body = signed_request(
                f"oBench{customer:05d}", next(steps[customer]), 10_000_000 + i, encrypted
            )
            sent = time.perf_counter()
            try:
                async with session.post(url, params=query, data=body) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - sent)

        start = time.perf_counter()
        tasks = []
        for i in range(messages):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        return Result(latencies, errors, time.perf_counter() - start)


def report(kind: str, rate: float, result: Result, cpu: float, cases: int) -> None:
    ordered = sorted(result.latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    print(
        f"{kind:>10}: {len(ordered)} messages at a target {rate:.0f}/s -> "
        f"{len(ordered) / result.elapsed:.1f}/s achieved, errors {result.errors}; "
        f"latency p50 {pct(0.50):.1f} ms, p99 {pct(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"
        f" (mean {statistics.fmean(ordered) * 1000:.1f} ms); "
        f"service CPU {cpu / len(ordered) * 1000:.2f} ms per message; {cases} cases filed"
    )


async def cases_filed(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(CaseRow))).scalar_one())
    finally:
        await engine.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--plaintext", action="store_true", help="no AES (default: safe mode)")
    parser.add_argument(
        "--smoke", action="store_true", help="240 messages from 10 customers, both databases"
    )
    args = parser.parse_args()
    if args.smoke:
        args.database, args.rate, args.messages, args.customers = "both", 100.0, 240, 10
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    env = {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "bench",
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
    }
    broken = False
    for kind in kinds:
        async with scratch_database(kind) as url:
            async with running_service(url, env) as service:
                encrypted = not args.plaintext
                await fire(
                    service.port, min(200, args.messages), args.rate, args.customers, encrypted
                )  # warm-up
                cpu = service.cpu_seconds()
                result = await fire(
                    service.port, args.messages, args.rate, args.customers, encrypted
                )
                cpu = service.cpu_seconds() - cpu
            cases = await cases_filed(url)
            report(kind, args.rate, result, cpu, cases)
            broken |= result.errors > 0 or cases == 0
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
