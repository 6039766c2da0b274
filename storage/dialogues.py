"""`DialogueStore` and `DeliveryLog` on SQL.

Every customer message runs the statements of this module, so they are built once and
executed with parameters: building an upsert and computing its cache key cost more
than running it on SQLite, while a built statement's key is kept. They are Core
statements on the tables, not ORM ones on the mapped classes: the ORM's UPDATE and
INSERT go through its bulk-statement machinery (matching objects in the session, which
these rows never are). README: Performance of the WeChat step.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Column, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.customers.dialogue.state import Dialogue
from core.identity import CustomerId, Platform
from core.ports import LockedDialogue
from storage.dialect import upsert_for
from storage.tables import DeliveryRow, DialogueRow

_DIALOGUES: Table = DialogueRow.__table__  # type: ignore[attr-defined]
_DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[attr-defined]


def _param(column: Column[Any]) -> BindParameter[Any]:
    """A parameter for `column`, of its type; named apart from the column, since a
    statement's own parameters for its columns take their names (SQLAlchemy's rule)."""
    return bindparam(f"p_{column.name}", type_=column.type)


_CUSTOMER = (
    _DIALOGUES.c.platform == _param(_DIALOGUES.c.platform),
    _DIALOGUES.c.user_id == _param(_DIALOGUES.c.user_id),
)


@functools.cache
def _lock_statement(dialect: str, customer_wrote: bool) -> Any:
    # The same statement records the customer's message: a fresh push window, still
    # following.
    interaction: dict[str, object] = (
        {
            "last_message_at": _param(_DIALOGUES.c.last_message_at),
            "window_sends": 0,
            "subscribed": True,
        }
        if customer_wrote
        else {}
    )
    return (
        upsert_for(dialect, _DIALOGUES)
        .values(
            platform=_param(_DIALOGUES.c.platform),
            user_id=_param(_DIALOGUES.c.user_id),
            state={},
            version=0,
            held=0,
            **interaction,
        )
        .on_conflict_do_update(
            index_elements=["platform", "user_id"],
            set_={"version": _DIALOGUES.c.version + 1, **interaction},
        )
        .returning(_DIALOGUES.c.state, _DIALOGUES.c.held)
    )


_SAVE = (
    update(_DIALOGUES)
    .where(*_CUSTOMER)
    .values(state=_param(_DIALOGUES.c.state), open_intake=_param(_DIALOGUES.c.open_intake))
)


class SqlDialogueStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect.name

    async def lock(
        self, customer: CustomerId, now: datetime, *, customer_wrote: bool = True
    ) -> LockedDialogue:
        # An upsert that always writes: on PostgreSQL it takes the row lock, on SQLite the
        # database write lock; either way a concurrent handler of the same customer waits
        # here until this transaction ends, and only then reads the state.
        result = await self._session.execute(
            _lock_statement(self._dialect, customer_wrote),
            {
                "p_platform": customer.platform.value,
                "p_user_id": customer.user_id,
                "p_last_message_at": now,
            },
        )
        state, held = result.one()
        return LockedDialogue(Dialogue.from_json(state) if state else None, held)

    async def save(self, customer: CustomerId, dialogue: Dialogue) -> None:
        await self._session.execute(
            _SAVE,
            {
                "p_platform": customer.platform.value,
                "p_user_id": customer.user_id,
                "p_state": dialogue.to_json(),
                "p_open_intake": dialogue.unfinished,
            },
        )

    async def language(self, customer: CustomerId) -> str:
        state = await self._session.scalar(
            select(col(DialogueRow.state)).where(
                col(DialogueRow.platform) == customer.platform.value,
                col(DialogueRow.user_id) == customer.user_id,
            )
        )
        return (Dialogue.from_json(state) if state else Dialogue()).language

    async def abandoned(self, before: datetime, limit: int) -> list[CustomerId]:
        """Customers whose intake has been left since before `before`."""
        rows = await self._session.execute(
            select(col(DialogueRow.platform), col(DialogueRow.user_id))
            .where(
                col(DialogueRow.open_intake).is_(True), col(DialogueRow.last_message_at) < before
            )
            .limit(limit)
        )
        return [CustomerId(Platform(p), u) for p, u in rows]


@functools.cache
def _first_time_statement(dialect: str) -> Any:
    return (
        upsert_for(dialect, _DELIVERIES)
        .values(key=_param(_DELIVERIES.c.key), at=_param(_DELIVERIES.c.at))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_DELIVERIES.c.key)
    )


_KEEP_RESPONSE = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.key == _param(_DELIVERIES.c.key))
    .values(response=_param(_DELIVERIES.c.response), recipient=_param(_DELIVERIES.c.recipient))
)


class SqlDeliveryLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._dialect = session.get_bind().dialect.name

    async def first_time(self, key: str, now: datetime) -> bool:
        # A concurrent insert of the same key waits for the first transaction and then
        # conflicts, so exactly one handler sees True.
        result = await self._session.execute(
            _first_time_statement(self._dialect), {"p_key": key, "p_at": now}
        )
        return result.scalar_one_or_none() is not None

    async def keep_response(self, key: str, response: str, recipient: CustomerId) -> None:
        await self._session.execute(
            _KEEP_RESPONSE,
            {"p_key": key, "p_response": response, "p_recipient": str(recipient)},
        )

    async def response(self, key: str) -> str | None:
        return await self._session.scalar(
            select(col(DeliveryRow.response)).where(col(DeliveryRow.key) == key)
        )
