"""SQLite through aiosqlite in one trip to its thread per statement.

aiosqlite runs every call on the sqlite3 connection in a thread of its own; SQLAlchemy's
adapter makes four such calls per statement (open a cursor, execute, fetch the rows,
close the cursor), each a hand-off to that thread and back through the event loop, and
the pool adds a rollback after every commit. On one core those hand-offs, not SQLite,
were most of a statement's cost. The cursor here does the four in a single call and
keeps what SQLAlchemy reads afterwards (the rows, the description, rowcount, lastrowid);
a commit or rollback with no transaction open is skipped. Everything else is SQLAlchemy's
aiosqlite dialect as it is. `storage.database.create_engine` uses this one for every
`sqlite+aiosqlite` URL (the engine's URL then names the driver `intake_aiosqlite`).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

DRIVER = "intake_aiosqlite"  # the URL's driver name this module registers


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """In aiosqlite's thread: the whole statement, from cursor to closing it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A statement in one call to aiosqlite's thread; the rows are kept, as SQLAlchemy's
    own adapter keeps them (SQLAlchemy's server-side cursors are not this class)."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1  # what fetchmany() without a size takes, as sqlite3's cursor

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """The rows are all fetched already: nothing to tune."""

    def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            done = await_(connection._execute(_run, connection._conn, operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._description, self._rowcount, self._lastrowid, rows = done
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._trip(operation, parameters, False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        self._trip(operation, seq_of_parameters, True)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed in the trip."""

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the declared

    # The pool rolls back every connection it gets back, also after a commit; sqlite3
    # would do nothing then, but only after a trip to its thread. Whether a transaction
    # is open is a flag of SQLite's that may be read from any thread.
    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def _in_transaction(self) -> bool:
        sqlite: sqlite3.Connection | None = self._connection._connection
        return sqlite is not None and sqlite.in_transaction


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = super().connect(*arg, **kw)
        connection.__class__ = _Connection  # same slots: only the cursor class differs
        return connection


class Dialect(SQLiteDialect_aiosqlite):
    supports_statement_cache = True  # it compiles exactly as its parent

    @classmethod
    def import_dbapi(cls) -> AsyncAdapt_aiosqlite_dbapi:
        return _DBAPI(aiosqlite, sqlite3)


registry.register(f"sqlite.{DRIVER}", __name__, "Dialect")
