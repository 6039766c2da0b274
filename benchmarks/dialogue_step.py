"""Benchmark: the WeChat dialogue step beside a bare ORM step, on the same core and database.

In one run, with every server process pinned to one core (`--core`, default the last) and this
load generator on the other:

  (a) the bare step (`benchmarks.bare_step`: aiohttp, one SELECT + UPDATE + INSERT through
      the same sqlmodel/SQLAlchemy async stack, on a scratch database), its capacity
      with `--connections` (32) connections in a closed loop;
  (b) the real `intake serve` with WeChat in plaintext mode, the same closed loop, with
      customers walking the whole complaint dialogue (`benchmarks.step_load`); every
      answer is checked, and a wrong or non-200 answer is an error;
  (c) both in an open loop at `--rate` (150) messages per second for `--seconds` (60).

It prints req/s, p50/p99/max latency and errors of each, and the ratio service/bare of
the closed-loop capacities. `--profile` instead runs the service under cProfile and
prints where one message's CPU time goes, stage by stage (`benchmarks.step_profile`).
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
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from benchmarks.service import pinned, running_service, scratch_database
from benchmarks.step_load import Customers, Tally, closed_loop, open_loop, walking_for
from benchmarks.step_profile import CpuSplit, breakdown, snapshot, thread_cpu
from benchmarks.wechat_webhook import APP_ID, TOKEN

PG_STEP_DB = "intake_bench_step"
# Plaintext mode: no WECHAT_AES_KEY. The API base points nowhere: no push is sent.
SERVICE_ENV = {
    "WECHAT_TOKEN": TOKEN,
    "WECHAT_APP_ID": APP_ID,
    "WECHAT_APP_SECRET": "bench",
    "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
}


@asynccontextmanager
async def bare_server(database_url: str, cpu: int | None) -> AsyncIterator[int]:
    """`benchmarks.bare_step` in its own process; yields its port."""
    process = await asyncio.create_subprocess_exec(
        *pinned(cpu),
        sys.executable,
        "-m",
        "benchmarks.bare_step",
        "--database-url",
        database_url,
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


async def measure(
    port: int, dialogue: bool, args: argparse.Namespace, redeliver_every: int = 0
) -> tuple[Tally, Tally | None]:
    """Warm up, then the closed loop and (unless skipped) the open loop."""
    url = f"http://127.0.0.1:{port}/wechat"
    await closed_loop(
        url, Customers(args.connections, dialogue, 1), connections=args.connections, seconds=2
    )
    closed = await closed_loop(
        url,
        Customers(args.connections, dialogue, 100_000),
        connections=args.connections,
        seconds=args.closed_seconds,
        redeliver_every=redeliver_every,
    )
    if args.seconds <= 0:
        return closed, None
    customers = Customers(walking_for(args.rate), dialogue, 200_000)
    return closed, await open_loop(url, customers, rate=args.rate, seconds=args.seconds)


async def compare(args: argparse.Namespace) -> int:
    kind = args.database
    print(
        f"{kind}; servers on core {args.core}, load on core {args.load_core}; closed loop "
        f"{args.connections} connections for {args.closed_seconds:g} s; open loop "
        f"{args.rate:g} msg/s for {args.seconds:g} s"
    )
    redeliver = 5 if args.smoke else 0
    async with scratch_database(kind, PG_STEP_DB) as url, bare_server(url, args.core) as port:
        bare, bare_open = await measure(port, False, args)
    async with (
        scratch_database(kind, PG_STEP_DB) as url,
        running_service(url, SERVICE_ENV, cpu=args.core) as service,
    ):
        step, step_open = await measure(service.port, True, args, redeliver)
    print(f"  closed, bare ORM step:  {bare.line()}")
    print(f"  closed, WeChat step:    {step.line()}")
    ratio = (len(step.latencies) / step.elapsed) / (len(bare.latencies) / bare.elapsed)
    print(f"  ratio WeChat/bare: {ratio:.2f}; cases filed {len(step.cases)}")
    for name, tally in (("bare ORM step", bare_open), ("WeChat step", step_open)):
        if tally is not None:
            print(f"  open {args.rate:g}/s, {name + ':':<15} {tally.line()}")
    tallies = [t for t in (bare, step, bare_open, step_open) if t is not None]
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
        for line in breakdown(first, last, cpu):
            print(f"  {line}")
    return 1 if tally.errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    cores = sorted(os.sched_getaffinity(0))
    parser.add_argument("--core", type=int, default=cores[-1], help="the servers' core")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--closed-seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=150.0, help="open loop, messages/s")
    parser.add_argument("--seconds", type=float, default=60.0, help="open loop; 0: none")
    parser.add_argument("--profile", action="store_true", help="the stage table instead")
    parser.add_argument("--smoke", action="store_true", help="seconds; non-zero on errors")
    args = parser.parse_args()
    args.load_core = next((c for c in cores if c != args.core), args.core)
    os.sched_setaffinity(0, {args.load_core})
    if args.smoke:
        args.closed_seconds, args.rate, args.seconds = 3.0, 50.0, 3.0
    run = profile if args.profile else compare
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
