"""SQLite statements in one trip to aiosqlite's thread: what SQLAlchemy reads after a
statement (rows, rowcount, lastrowid) is what sqlite3 said, errors are SQLAlchemy's,
and a connection back in the pool after a commit costs no rollback trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import create_engine


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.sqlite3")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls handed to aiosqlite's thread, by function name."""
    counted: Counter[str] = Counter()
    original = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        counted[getattr(fn, "__name__", "?")] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return counted


async def test_rows_rowcount_and_lastrowid(sqlite: AsyncEngine) -> None:
    assert sqlite.dialect.driver == "aiosqlite"
    async with sqlite.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        returned = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id > 1 RETURNING v"))
        assert sorted(returned.scalars()) == ["b!", "c!"]
        changed = await conn.execute(text("UPDATE t SET v = 'z' WHERE id = 1"))
        assert changed.rowcount == 1
        rows = await conn.execute(text("SELECT id, v FROM t ORDER BY id"))
        assert rows.keys() == ["id", "v"]
        assert rows.all() == [(1, "z"), (2, "b!"), (3, "c!")]


async def test_errors_are_sqlalchemys(sqlite: AsyncEngine) -> None:
    async with sqlite.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    with pytest.raises(IntegrityError):
        async with sqlite.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    async with sqlite.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 1


async def test_one_trip_per_statement_and_no_rollback_after_commit(
    sqlite: AsyncEngine, trips: Counter[str]
) -> None:
    async with sqlite.connect() as conn:  # the pool's connection is open from here on
        await conn.execute(text("SELECT 1"))
    trips.clear()
    async with sqlite.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await conn.execute(text("SELECT v FROM t"))
    assert trips == {"_run": 2, "commit": 1}


async def test_a_rollback_still_rolls_back(sqlite: AsyncEngine) -> None:
    async with sqlite.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0
