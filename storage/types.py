"""Column types that behave the same on SQLite and PostgreSQL: UTC timestamps, and
contact data encrypted at rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from storage.crypto import DataKeys, Undecryptable, key_id_of, keys_for


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware timestamps, stored in UTC.

    PostgreSQL keeps them as timestamptz; SQLite has no time zones, so values are
    normalised to UTC on the way in and marked UTC on the way out. Naive values are
    refused: a timestamp without a zone is a bug waiting to happen.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("refusing to store a naive datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the engine's data keys (`storage.crypto`), if it has any.

    Without keys values are stored in clear, as before encryption existed; values stored
    in clear are read back as they are, so a database can start encrypting at any time
    (`intake keys rotate` then encrypts what is already there).
    """

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose  # authenticated with the ciphertext: "table.column"

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        keys = keys_for(dialect)
        if value is None or keys is None:
            return value
        return keys.encrypt(value.encode(), self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None or key_id_of(value) is None:
            return value
        return _keys_to_read(dialect).decrypt(value, self.purpose).decode()


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted as a whole, stored as one JSON string (the envelope).

    Documents stored in clear are objects or arrays, never a string, so the two cannot
    be mistaken for each other.
    """

    impl = JSON
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        keys = keys_for(dialect)
        if value is None or keys is None:
            return value
        return keys.encrypt(json.dumps(value, ensure_ascii=False).encode(), self.purpose)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if not isinstance(value, str):
            return value
        return json.loads(_keys_to_read(dialect).decrypt(value, self.purpose))


def _keys_to_read(dialect: Dialect) -> DataKeys:
    keys = keys_for(dialect)
    if keys is None:
        raise Undecryptable(
            "the database holds encrypted contact data but INTAKE_DATA_KEYS is empty: "
            "configure the keys it was written with"
        )
    return keys
