"""The yardstick for the WeChat dialogue step: a bare aiohttp server doing one ORM step.

Per request it does what the smallest conceivable dialogue step must: read the
customer's row, write it back, record the message, commit — one SELECT, one UPDATE and
one INSERT through the same ORM as the service (sqlmodel tables, SQLAlchemy async
sessions from `storage.database`, so on SQLite the same pragmas and the same in-process
writer queue), and answers a short XML text. No signature, no dialogue, no dedupe.
On SQLite it uses SQLAlchemy's own aiosqlite driver, as a bare application would
(`--driver project`: the service's, `storage.sqlite_driver`).

    python -m benchmarks.bare_step --database-url sqlite+aiosqlite:///tmp/b.sqlite3

It prints `listening PORT` on stdout once it accepts requests (`benchmarks.dialogue_step`
starts it and reads the port from there).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import JSON, Column, MetaData, event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlmodel import Field, SQLModel, col

from storage.database import create_engine, session_factory, sqlite_pragmas

# A metadata of their own: only these two tables are created in the scratch database.
_METADATA = MetaData()


class _Base(SQLModel):
    metadata = _METADATA


class BenchCustomer(_Base, table=True):
    __tablename__ = "bench_customer"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(unique=True, max_length=64)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 0
    last_message_at: datetime | None = None


class BenchMessage(_Base, table=True):
    __tablename__ = "bench_message"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64)
    text: str
    at: datetime


def customer_id(n: int) -> str:
    """The openid the load generator uses for customer `n` (seeded at start)."""
    return f"oBench{n:05d}"


class BareStep:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        openid = request.query["openid"]
        now = datetime.now(UTC)
        async with self._sessions() as session:
            row = (
                await session.scalars(
                    select(BenchCustomer).where(col(BenchCustomer.user_id) == openid)
                )
            ).one()
            await session.execute(
                update(BenchCustomer)
                .where(col(BenchCustomer.id) == row.id)
                .values(
                    version=row.version + 1,
                    state={**row.state, "step": row.version % 11},
                    last_message_at=now,
                )
            )
            await session.execute(
                insert(BenchMessage).values(user_id=openid, text=body.decode()[:200], at=now)
            )
            await session.commit()
        return web.Response(
            text=f"<xml><ToUserName><![CDATA[{openid}]]></ToUserName>"
            f"<Content><![CDATA[step {row.version}]]></Content></xml>",
            content_type="application/xml",
        )


async def _serve(database_url: str, customers: int, driver: str) -> None:
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite" and driver == "aiosqlite":
        await engine.dispose()
        engine = create_async_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    async with engine.begin() as conn:
        await conn.run_sync(_METADATA.create_all)
        seeded = [{"user_id": customer_id(n), "state": {}} for n in range(customers)]
        await conn.execute(insert(BenchCustomer), seeded)
    app = web.Application()
    app.router.add_post("/wechat", BareStep(session_factory(engine)).handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"listening {runner.addresses[0][1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--customers", type=int, default=2000, help="rows seeded at start")
    parser.add_argument("--driver", choices=["aiosqlite", "project"], default="aiosqlite")
    args = parser.parse_args()
    asyncio.run(_serve(args.database_url, args.customers, args.driver))


if __name__ == "__main__":
    main()
