"""The expressions that differ between SQLite and PostgreSQL: INSERT ... ON CONFLICT, the
local day of a timestamp, and a column that no index may serve."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


def upsert(session: AsyncSession, table: Any) -> Any:
    """An INSERT with `on_conflict_do_update/nothing` for the session's database."""
    return upsert_for(session.get_bind().dialect.name, table)


def upsert_for(dialect: str, table: Any) -> Any:
    """`upsert` for the database named `dialect` ("sqlite" or "postgresql")."""
    if dialect == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


class local_day(FunctionElement[int]):
    """The day of a UTC timestamp column at a fixed offset from UTC, as a whole number
    of days since 1970-01-01: `local_day(CaseRow.received_at, 8 * 3600)`. The offset is
    written into the statement as a number (not a parameter), so that the same
    expression in SELECT and GROUP BY is the same text to PostgreSQL."""

    type = Integer()
    # The offset is not part of SQLAlchemy's cache key: statements with it are not cached.
    inherit_cache = False

    def __init__(self, column: Any, offset_seconds: int) -> None:
        self.offset_seconds = int(offset_seconds)
        super().__init__(column)


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps the UTC time as text; strftime('%s') reads it as Unix seconds.
    column = compiler.process(element.clauses, **kw)
    return f"((CAST(strftime('%s', {column}) AS INTEGER) + {element.offset_seconds}) / 86400)"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return (
        f"CAST(floor((extract(epoch FROM {column}) + {element.offset_seconds}) / 86400) AS INTEGER)"
    )


class unindexed(FunctionElement[Any]):
    """A column as a term no index serves: `unindexed(CaseRow.merged_into).is_(None)`.
    SQLite, without statistics, takes any index on an equality for selective, and would
    read nearly all of a table through one (SQLite's unary `+` is its documented way to
    keep an index out); PostgreSQL weighs its statistics, so it gets the column itself."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        self.type = column.type
        super().__init__(column)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(unindexed, "postgresql")
def _unindexed_postgresql(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))
