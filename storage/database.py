"""Engines for SQLite and PostgreSQL behind one async interface."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import CursorResult, Engine, Result, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver
from storage.crypto import DataKeys, use_keys


def create_engine(url: str, *, echo: bool = False, keys: DataKeys | None = None) -> AsyncEngine:
    """An engine for `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`; with
    `keys`, contact data is encrypted at rest (`storage.crypto`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # aiosqlite with a statement per trip to its thread (`storage.sqlite_driver`).
        fast = parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
        # Writers queue for the lock instead of failing at once.
        engine = create_async_engine(fast, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
    else:
        engine = create_async_engine(url, echo=echo, pool_pre_ping=True)
    use_keys(engine, keys)
    return engine


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the health check, status queries) run while a writer commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Erased data is overwritten with zeros, not left behind in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


async def ping(engine: AsyncEngine, within: float = 2.0) -> bool:
    """True when the database answers a trivial query within `within` seconds."""

    async def _select_one() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(_select_one(), within)
    except Exception:  # refused, timed out, auth failed...: to a health check all mean "down"
        return False
    return True


# One lock per SQLite database (engine), created on first use.
_WRITE_LOCKS: WeakKeyDictionary[Engine, asyncio.Lock] = WeakKeyDictionary()


class SqliteSession(AsyncSession):
    """A session that queues for SQLite's single writer slot inside this process.

    SQLite lets one transaction write at a time. Left alone, a second writer waits in
    SQLite's busy handler, which sleeps in growing steps of up to 100 ms: under load a
    short queue turns into stalls of seconds. Here the writers of one process queue on
    an asyncio lock instead, taken before the session's first write and given back when
    its transaction ends. Other processes still fall back to the busy timeout.
    """

    _holds_write_lock = False

    def _write_lock(self) -> asyncio.Lock:
        if self.bind is None:
            raise RuntimeError("a SQLite session is bound to its engine")
        return _WRITE_LOCKS.setdefault(self.bind.sync_engine, asyncio.Lock())

    async def _before_write(self) -> None:
        if not self._holds_write_lock:
            await self._write_lock().acquire()
            self._holds_write_lock = True

    def _after_transaction(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            self._write_lock().release()

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(statement, "is_dml", False):
            await self._before_write()
        return await super().execute(statement, *args, **kwargs)

    async def commit(self) -> None:
        if self.sync_session.new or self.sync_session.dirty or self.sync_session.deleted:
            await self._before_write()
        try:
            await super().commit()
        finally:
            self._after_transaction()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._after_transaction()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            self._after_transaction()


# One factory per engine: a unit of work is made for every message.
_FACTORIES: WeakKeyDictionary[AsyncEngine, async_sessionmaker[AsyncSession]] = WeakKeyDictionary()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for `engine`; on SQLite, ones that queue for the writer slot."""
    factory = _FACTORIES.get(engine)
    if factory is None:
        session_class = SqliteSession if is_sqlite(engine) else AsyncSession
        factory = async_sessionmaker(engine, class_=session_class, expire_on_commit=False)
        _FACTORIES[engine] = factory
    return factory


def inserted_id(value: int | None) -> int:
    """The id the database gave a new row; tables declare ids optional because a row
    has none before it is inserted."""
    if value is None:
        raise RuntimeError("the database returned no id for a new row")
    return value


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched.

    Sessions type every result as a plain `Result`; for these statements it is the
    `CursorResult` that counts them."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count")
    return result.rowcount
