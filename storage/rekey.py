"""Key rotation for data encrypted at rest: re-encrypt under the newest key, and find
stored values no configured key can open.

Every column of an encrypted type (`storage.types`) in the table models is covered, so
a new encrypted column needs nothing here. Values are read raw — the envelope names its
key — and only those under an older key, or still in clear, are rewritten, a batch per
transaction. A row the service changed meanwhile is skipped: it was just written anew.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, Text, cast, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.crypto import VERSION, DataKeys, key_id_of, keys_for
from storage.types import EncryptedJSON, EncryptedText

BATCH = 500


@dataclass(frozen=True, slots=True)
class Rotated:
    table: str
    column: str
    rewritten: int


def encrypted_columns() -> Iterator[tuple[Table, Column[Any]]]:
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText | EncryptedJSON):
                yield table, column


async def unknown_key(engine: AsyncEngine) -> str | None:
    """A key id some stored value needs that is not configured ("" if values are
    encrypted but no keys are configured at all); None when every value can be read."""
    keys = keys_for(engine.sync_engine.dialect)
    known = [key_id for key_id, _ in keys.keys] if keys else []
    async with engine.connect() as conn:
        for _table, column in encrypted_columns():
            raw = _raw(column)
            found = await conn.scalar(
                select(raw)
                .where(_envelope(raw), *(~_envelope(raw, key_id) for key_id in known))
                .limit(1)
            )
            if found is not None:
                return key_id_of(_unquoted(found)) if keys else ""
    return None


async def rotate(engine: AsyncEngine) -> list[Rotated]:
    """Rewrite every value not under the newest key; how many per column."""
    keys = keys_for(engine.sync_engine.dialect)
    if keys is None:
        raise ValueError("set INTAKE_DATA_KEYS first: there is no key to encrypt with")
    return [
        Rotated(table.name, column.name, await _rotate_column(engine, keys, table, column))
        for table, column in encrypted_columns()
    ]


async def _rotate_column(
    engine: AsyncEngine, keys: DataKeys, table: Table, column: Column[Any]
) -> int:
    primary = list(table.primary_key.columns)
    position = tuple_(*primary) if len(primary) > 1 else primary[0]
    raw = _raw(column)
    last: tuple[Any, ...] | None = None
    rewritten = 0
    while True:
        query = select(*primary, raw, column).where(column.is_not(None))
        if last is not None:
            query = query.where(position > (tuple_(*last) if len(last) > 1 else last[0]))
        async with engine.begin() as conn:
            rows = (await conn.execute(query.order_by(*primary).limit(BATCH))).all()
            for row in rows:
                *key, stored, value = row
                if key_id_of(_unquoted(stored)) == keys.current:
                    continue
                done = await conn.execute(
                    update(table)
                    .where(*(c == k for c, k in zip(primary, key, strict=True)), raw == stored)
                    .values({column.name: value})
                )
                rewritten += done.rowcount
        if len(rows) < BATCH:
            return rewritten
        last = tuple(rows[-1][: len(primary)])


def _raw(column: Column[Any]) -> Any:
    """The value as stored, not decrypted: JSON columns hold the envelope as a JSON string."""
    return cast(column, Text)


def _envelope(raw: Any, key_id: str | None = None) -> Any:
    prefix = f"{VERSION}:" if key_id is None else f"{VERSION}:{key_id}:"
    return or_(
        raw.startswith(prefix, autoescape=True), raw.startswith(f'"{prefix}', autoescape=True)
    )


def _unquoted(stored: str) -> str:
    return json.loads(stored) if stored.startswith('"') else stored
