"""Benchmark: the WeChat dialogue step beside a bare ORM step, on the same core and database.

In one run, with both servers' processes pinned to one core (`--core`, default the last)
and this load generator on another:

  (a) the bare step (`benchmarks.bare_step`: aiohttp, one SELECT + UPDATE + INSERT through
      the same sqlmodel/SQLAlchemy async stack, on a scratch database), its capacity
      with `--connections` (32) connections in a closed loop;
  (b) the real `intake serve` with WeChat in plaintext mode, the same closed loop, with
      customers walking the whole complaint dialogue (`benchmarks.step_load`); every
      answer is checked, and a wrong or non-200 answer is an error;
  (c) both in an open loop at `--rate` (150) messages per second for `--seconds` (60),
      the customers' walks spread over the dialogue's steps as customers who came one
      after another are (`--lockstep`: every walk at the same step, so that all of them
      file their case in the same 2 s, every 24 s).

Both servers run side by side; the closed loops take turns (`--slices`, 4 each), so a
machine that is busier at one moment than another weighs on both alike.

It prints req/s, p50/p99/max latency and errors of each, and the ratio service/bare of
the closed-loop capacities. `--profile` instead puts a clock on every stage of the
service's step and prints where one message's time goes (`benchmarks.step_profile`).
`--smoke` is a run of a few seconds that sends every fifth message twice at once (a
WeChat redelivery racing the original: both must get the same answer) and exits
non-zero on any error.

    .venv/bin/python -m benchmarks.dialogue_step                     # SQLite, ~3 minutes
    .venv/bin/python -m benchmarks.dialogue_step --database postgresql
    .venv/bin/python -m benchmarks.dialogue_step --profile
    .venv/bin/python -m benchmarks.dialogue_step --smoke
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from benchmarks.service import pinned, running_service, scratch_database
from benchmarks.step_load import (
    Customers,
    Tally,
    closed_loop,
    open_loop,
    walk_in,
    walking_for,
)
from benchmarks.step_profile import CpuSplit, breakdown, snapshot, thread_cpu
from benchmarks.wechat_messages import APP_ID, TOKEN

PG_STEP_DB = "intake_bench_step"
# Plaintext mode: no WECHAT_AES_KEY. The API base points nowhere: no push is sent.
SERVICE_ENV = {
    "WECHAT_TOKEN": TOKEN,
    "WECHAT_APP_ID": APP_ID,
    "WECHAT_APP_SECRET": "bench",
    "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
}


@asynccontextmanager
async def bare_server(database_url: str, cpu: int | None, driver: str) -> AsyncIterator[int]:
    """`benchmarks.bare_step` in its own process; yields its port."""
    process = await asyncio.create_subprocess_exec(
        *pinned(cpu),
        sys.executable,
        "-m",
        "benchmarks.bare_step",
        "--database-url",
        database_url,
        "--driver",
        driver,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line.startswith("listening "):
            raise RuntimeError(f"the bare server did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def alternate(bare_url: str, step_url: str, args: argparse.Namespace) -> tuple[Tally, Tally]:
    """The closed loop, in `--slices` turns of each server, so both see the same
    machine; the tallies of all turns together."""
    bare, step = Tally(), Tally()
    redeliver = 5 if args.smoke else 0
    for turn in range(args.slices):
        first = 100_000 * (turn + 1)
        for url, dialogue, tally, every in (
            (bare_url, False, bare, 0),
            (step_url, True, step, redeliver),
        ):
            tally.add(
                await closed_loop(
                    url,
                    Customers(args.connections, dialogue, first),
                    connections=args.connections,
                    seconds=args.closed_seconds / args.slices,
                    redeliver_every=every,
                )
            )
    return bare, step


async def compare(args: argparse.Namespace) -> int:
    kind = args.database
    print(
        f"{kind}; servers on core {args.core}, load on core {args.load_core}; closed loop "
        f"{args.connections} connections, {args.closed_seconds:g} s each in {args.slices} "
        f"turns; open loop {args.rate:g} msg/s for {args.seconds:g} s each, walks "
        + ("in lockstep" if args.lockstep else "spread over the steps")
    )
    async with (
        scratch_database(kind, f"{PG_STEP_DB}_bare") as bare_db,
        bare_server(bare_db, args.core, args.bare_driver) as bare_port,
        scratch_database(kind, PG_STEP_DB) as step_db,
        running_service(step_db, SERVICE_ENV, cpu=args.core) as service,
    ):
        bare_url = f"http://127.0.0.1:{bare_port}/wechat"
        step_url = f"http://127.0.0.1:{service.port}/wechat"
        for url, dialogue in ((bare_url, False), (step_url, True)):  # warm-up
            await closed_loop(url, Customers(8, dialogue, 1), connections=8, seconds=2)
        bare, step = await alternate(bare_url, step_url, args)
        opened: list[tuple[str, Tally]] = []
        if args.seconds > 0:
            for name, url, dialogue in (
                ("WeChat step", step_url, True),
                ("bare ORM step", bare_url, False),
            ):
                customers = Customers(walking_for(args.rate), dialogue, 10_000_000)
                lead = Tally() if args.lockstep else await walk_in(url, customers)
                tally = await open_loop(url, customers, rate=args.rate, seconds=args.seconds)
                tally.errors += lead.errors
                tally.error_samples += lead.error_samples
                opened.append((name, tally))
    print(f"  closed, bare ORM step:  {bare.line()}")
    print(f"  closed, WeChat step:    {step.line()}")
    print(f"  ratio WeChat/bare: {step.rate() / bare.rate():.2f}; cases filed {len(step.cases)}")
    for name, tally in opened:
        print(f"  open {args.rate:g}/s, {name + ':':<15} {tally.line()}")
    tallies = [bare, step, *(tally for _, tally in opened)]
    errors = sum(t.errors for t in tallies)
    for tally in tallies:
        for sample in tally.error_samples:
            print(f"  error: {sample}")
    if len(set(step.cases)) != len(step.cases):
        print("  error: a case number was given twice")
        errors += 1
    return 1 if errors else 0


async def profile(args: argparse.Namespace) -> int:
    """The service with a clock on every stage, one message at a time; the stage table."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "stages.json"
        clocked = ("-m", "benchmarks.step_profile", "--out", str(out))
        async with (
            scratch_database(args.database, PG_STEP_DB) as url,
            running_service(url, SERVICE_ENV, cpu=args.core, python_args=clocked) as service,
        ):
            url = f"http://127.0.0.1:{service.port}/wechat"
            await closed_loop(url, Customers(1, True, 1), connections=1, seconds=2)  # warm-up
            first, before = snapshot(service.pid, out), thread_cpu(service.pid)
            tally = await closed_loop(
                url, Customers(1, True, 100_000), connections=1, seconds=args.closed_seconds
            )
            cpu = CpuSplit.between(service.pid, before, thread_cpu(service.pid))
            last = snapshot(service.pid, out)
        print(f"clocked, {args.database}, one message at a time: {tally.line()}")
        mean = statistics.fmean(tally.latencies)
        for line in breakdown(first, last, cpu, mean):
            print(f"  {line}")
    return 1 if tally.errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    cores = sorted(os.sched_getaffinity(0))
    parser.add_argument("--core", type=int, default=cores[-1], help="the servers' core")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--closed-seconds", type=float, default=20.0, help="per server")
    parser.add_argument("--slices", type=int, default=4, help="closed-loop turns")
    parser.add_argument("--rate", type=float, default=150.0, help="open loop, messages/s")
    parser.add_argument("--seconds", type=float, default=60.0, help="open loop; 0: none")
    parser.add_argument(
        "--bare-driver",
        choices=["aiosqlite", "project"],
        default="aiosqlite",
        help="SQLite driver of the bare step: SQLAlchemy's, or the service's",
    )
    parser.add_argument(
        "--lockstep",
        action="store_true",
        help="open loop with every walk at the same step: all file at once, every 24 s",
    )
    parser.add_argument("--profile", action="store_true", help="the stage table instead")
    parser.add_argument("--smoke", action="store_true", help="seconds; non-zero on errors")
    args = parser.parse_args()
    args.load_core = next((c for c in cores if c != args.core), args.core)
    os.sched_setaffinity(0, {args.load_core})
    if args.smoke:
        args.closed_seconds, args.slices, args.rate, args.seconds = 3.0, 1, 50.0, 3.0
    run = profile if args.profile else compare
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
