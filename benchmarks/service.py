"""Starting a real `intake serve` for a benchmark, on SQLite or on a scratch PostgreSQL db."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "intake_bench"


@asynccontextmanager
async def scratch_database(kind: str, pg_name: str = PG_BENCH_DB) -> AsyncIterator[str]:
    """A fresh, empty database URL, removed afterwards (on PostgreSQL, `pg_name`)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        return
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {pg_name}")
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{pg_name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        await admin.close()


async def _run(*args: str, env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "intake.cli", *args, env=env, stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"intake {' '.join(args)} failed: {err.decode()[-500:]}")


def pinned(cpu: int | None) -> list[str]:
    """The command prefix that starts a process on one core (`taskset`), or nothing."""
    return [] if cpu is None else ["taskset", "-c", str(cpu)]


@dataclass
class Service:
    port: int
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the service process has used so far (user + system)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def running_service(
    database_url: str,
    extra_env: dict[str, str],
    *,
    cpu: int | None = None,
    python_args: Sequence[str] = (),
) -> AsyncIterator[Service]:
    """`intake serve` in its own process; with `cpu`, pinned to that core (every thread
    of it), and started as `python PYTHON_ARGS -m intake.cli serve` (e.g. under cProfile)."""
    env = {
        **os.environ,
        **extra_env,
        "DATABASE_URL": database_url,
        "INTAKE_HTTP_PORT": "0",
        "INTAKE_LOG_LEVEL": "WARNING",
    }
    await _run("db", "upgrade", env=env)
    env["INTAKE_LOG_LEVEL"] = "INFO"  # for the "listening" line; WARNING would hide it
    process = await asyncio.create_subprocess_exec(
        *pinned(cpu),
        sys.executable,
        *python_args,
        "-m",
        "intake.cli",
        "serve",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        while True:
            line = await asyncio.wait_for(process.stderr.readline(), 30)
            if not line:
                raise RuntimeError("the service exited during start-up")
            entry = json.loads(line)
            if entry["msg"] == "listening":
                break
        drain = asyncio.create_task(_discard(process.stderr))
        yield Service(int(entry["port"]), process.pid)
        drain.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass
