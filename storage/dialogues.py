"""`DialogueStore` and `DeliveryLog` on SQL.

Every customer message runs the statements of this module: they are Core statements on
the tables, not ORM ones on the mapped classes. The ORM's UPDATE and INSERT go through
its bulk-statement machinery (matching objects in the session, which these rows never
are); Core costs about half as much per statement (README: Performance).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.customers.dialogue.state import Dialogue
from core.identity import CustomerId, Platform
from core.ports import LockedDialogue
from storage.dialect import upsert
from storage.tables import DeliveryRow, DialogueRow

_DIALOGUES: Table = DialogueRow.__table__  # type: ignore[attr-defined]
_DELIVERIES: Table = DeliveryRow.__table__  # type: ignore[attr-defined]


class SqlDialogueStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(
        self, customer: CustomerId, now: datetime, *, customer_wrote: bool = True
    ) -> LockedDialogue:
        # An upsert that always writes: on PostgreSQL it takes the row lock, on SQLite the
        # database write lock; either way a concurrent handler of the same customer waits
        # here until this transaction ends, and only then reads the state. The same
        # statement records the customer's message: a fresh push window, still following.
        interaction: dict[str, object] = (
            {"last_message_at": now, "window_sends": 0, "subscribed": True}
            if customer_wrote
            else {}
        )
        stmt = (
            upsert(self._session, _DIALOGUES)
            .values(
                platform=customer.platform.value,
                user_id=customer.user_id,
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
        state, held = (await self._session.execute(stmt)).one()
        return LockedDialogue(Dialogue.from_json(state) if state else None, held)

    async def save(self, customer: CustomerId, dialogue: Dialogue) -> None:
        await self._session.execute(
            update(_DIALOGUES)
            .where(
                _DIALOGUES.c.platform == customer.platform.value,
                _DIALOGUES.c.user_id == customer.user_id,
            )
            .values(state=dialogue.to_json(), open_intake=dialogue.unfinished)
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


class SqlDeliveryLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, key: str, now: datetime) -> bool:
        # A concurrent insert of the same key waits for the first transaction and then
        # conflicts, so exactly one handler sees True.
        stmt = (
            upsert(self._session, _DELIVERIES)
            .values(key=key, at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(_DELIVERIES.c.key)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none() is not None

    async def keep_response(self, key: str, response: str, recipient: CustomerId) -> None:
        await self._session.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.key == key)
            .values(response=response, recipient=str(recipient))
        )

    async def response(self, key: str) -> str | None:
        return await self._session.scalar(
            select(col(DeliveryRow.response)).where(col(DeliveryRow.key) == key)
        )
