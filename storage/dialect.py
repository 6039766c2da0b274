"""The one statement that differs between SQLite and PostgreSQL: INSERT ... ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def upsert(session: AsyncSession, table: Any) -> Any:
    """An INSERT with `on_conflict_do_update/nothing` for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)
