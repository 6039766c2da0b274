"""Rows for a benchmark's bulk loads, whole whatever columns later migrations add.

A benchmark writes the columns it cares about; every other column of the table gets the
model's default (None for a nullable column). A column that is required and has no
default stops the load with a message naming it, instead of a KeyError deep in a COPY.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, Table
from sqlmodel import SQLModel


class RowShape:
    """The columns of a model's table, with what to put where a row says nothing."""

    def __init__(self, model: type[SQLModel], given: Iterable[str]) -> None:
        table: Table = model.metadata.tables[str(model.__tablename__)]
        self.name = table.name
        given = set(given)
        unknown = given - {c.name for c in table.columns}
        if unknown:
            raise SystemExit(f"{table.name}: the benchmark fills no such columns {unknown}")
        self.defaults: dict[str, Any] = {}
        missing = []
        for column in table.columns:
            if column.name in given:
                continue
            field = model.model_fields.get(column.name)
            default = (
                PydanticUndefined if field is None else field.get_default(call_default_factory=True)
            )
            if column.primary_key and default is None:
                continue  # numbered by the database
            if default is PydanticUndefined or (default is None and not column.nullable):
                missing.append(column.name)
            else:
                self.defaults[column.name] = default
        if missing:
            raise SystemExit(
                f"{table.name}: columns {missing} are required and have no default in the "
                "model: the benchmark must give them a value (did a migration add them?)"
            )
        # What a load writes, in the table's order: the given columns and the defaulted.
        self.columns = [c.name for c in table.columns if c.name in given or c.name in self.defaults]
        self._json = {c.name for c in table.columns if isinstance(c.type, JSON)}

    def row(self, given: dict[str, Any]) -> dict[str, Any]:
        """A row for an INSERT: the given values over the defaults."""
        return {**self.defaults, **given}

    def records(self, rows: Iterable[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
        """Tuples in `columns` order for PostgreSQL's COPY, JSON columns as text."""
        for given in rows:
            row = {**self.defaults, **given}
            yield tuple(json.dumps(row[c]) if c in self._json else row[c] for c in self.columns)
