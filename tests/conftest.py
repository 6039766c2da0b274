"""Shared fixtures: a freshly migrated database per test, and fixed moments in time.

`DATABASE_URL` chooses the database: unset, each test gets its own SQLite file; set to
`postgresql+asyncpg://...`, each test starts from an empty schema on that server.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.cases.calendar import SHANGHAI, WorkingCalendar
from intake.calendar_source import load_calendar
from storage.database import create_engine
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWork

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CALENDAR = ROOT / "calendars" / "cn-2027.sample.toml"


def database_url(tmp_path: Path) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3"


async def fresh_engine(url: str, revision: str = "head") -> AsyncEngine:
    """An engine on an emptied database, migrated to `revision`."""
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine, revision)
    return engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await fresh_engine(database_url(tmp_path))
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine)


@pytest.fixture(scope="session")
def calendar() -> WorkingCalendar:
    """The library's official years only, as on a fresh install."""
    return load_calendar(None, SHANGHAI)


@pytest.fixture(scope="session")
def calendar_2027() -> WorkingCalendar:
    """The official years plus the shipped sample file for 2027."""
    return load_calendar(SAMPLE_CALENDAR, SHANGHAI)
