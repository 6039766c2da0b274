"""`PersonalTraces` on SQL: a customer's words outside their cases, erased and expired.

Besides the cases (see `Case.forget` and `SqlCaseRepository.erase_trail`) a customer's
words and contact data pass through the outbox (every message to them, and staff
messages about their cases), the stored passive replies of their WeChat messages, the
pushes held for them, and the ledger's links from points to cases. Stored values are
encrypted, so the rows that mention a forgotten case are found by reading the few rows
that still hold words (partial indexes keep that set small: retention empties the rest).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cases.values import ERASED
from core.identity import CustomerId, Platform
from storage.database import rowcount
from storage.outbox import CANCELLED, PENDING, SENT
from storage.tables import (
    DeliveryRow,
    DialogueRow,
    HeldMessageRow,
    OutboxRow,
    RewardEntryRow,
    WebAttachmentRow,
    WebConversationRow,
    WebMessageRow,
)

# What a redacted message becomes: still a well-formed payload, with nothing in it.
REDACTED_PAYLOAD: dict[str, Any] = {
    "text": ERASED,
    "options": [],
    "contact_button": False,
    "media": [],
    "media_platform": None,
}


class SqlPersonalTraces:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def erase(self, customer: CustomerId, forgotten: list[str], now: datetime) -> None:
        await self._erase_messages(customer, forgotten, now)
        await self._erase_replies(customer, forgotten)
        if customer.platform is Platform.WECHAT:
            await self._drop_held(customer.user_id, forgotten, now)
        if customer.platform is Platform.WEB:
            await self._erase_web(customer.user_id)
        if forgotten:
            # The points stay the customer's; the entry no longer ties them to the case.
            await self._session.execute(
                update(RewardEntryRow)
                .where(col(RewardEntryRow.case_number).in_(forgotten))
                .values(case_number=None)
            )

    async def _erase_web(self, conversation: str) -> None:
        """A web conversation's history, uploads and e-mail address: all of it is theirs."""
        for table in (WebMessageRow, WebAttachmentRow):
            await self._session.execute(
                delete(table).where(col(table.conversation) == conversation)
            )
        await self._session.execute(
            update(WebConversationRow)
            .where(col(WebConversationRow.id) == conversation)
            .values(email=None)
        )

    async def expire(
        self, *, messages_before: datetime, replies_before: datetime, now: datetime, limit: int
    ) -> int:
        outbox = select(col(OutboxRow.id)).where(
            col(OutboxRow.redacted_at).is_(None),
            col(OutboxRow.status) == SENT,
            col(OutboxRow.sent_at) < messages_before,
        )
        messages = await self._session.execute(
            update(OutboxRow)
            .where(col(OutboxRow.id).in_(outbox.limit(limit).scalar_subquery()))
            .values(payload=REDACTED_PAYLOAD, redacted_at=now)
            .execution_options(synchronize_session=False)
        )
        kept = select(col(DeliveryRow.key)).where(
            col(DeliveryRow.response).is_not(None), col(DeliveryRow.at) < replies_before
        )
        replies = await self._session.execute(
            update(DeliveryRow)
            .where(col(DeliveryRow.key).in_(kept.limit(limit).scalar_subquery()))
            .values(response=None, recipient=None)
            .execution_options(synchronize_session=False)
        )
        return rowcount(messages) + rowcount(replies)

    async def _erase_messages(
        self, customer: CustomerId, forgotten: list[str], now: datetime
    ) -> None:
        # Everything the customer was sent, or failed to be sent: it is in their chat or
        # moot. Messages still on their way to them stay (the answer to this /forget, a
        # question about an open case), unless they concern a forgotten case (below).
        # Replies on Telegram go to the private chat, whose id is the user's id.
        await self._session.execute(
            update(OutboxRow)
            .where(
                col(OutboxRow.redacted_at).is_(None),
                col(OutboxRow.platform) == customer.platform.value,
                col(OutboxRow.address) == customer.user_id,
                col(OutboxRow.status) != PENDING,
            )
            .values(payload=REDACTED_PAYLOAD, redacted_at=now)
            .execution_options(synchronize_session=False)
        )
        if not forgotten:
            return
        # Anything to anyone about a forgotten case: its alerts to staff, a /reveal or
        # /case answer naming it. One still waiting is cancelled: it would carry the
        # erased words out again.
        rows = await self._session.execute(
            select(
                col(OutboxRow.id),
                col(OutboxRow.status),
                col(OutboxRow.case_number),
                col(OutboxRow.payload),
            ).where(col(OutboxRow.redacted_at).is_(None))
        )
        about = [
            (message_id, status)
            for message_id, status, number, payload in rows
            if number in forgotten or _mentions(payload["text"], forgotten)
        ]
        for cancel in (True, False):
            ids = [i for i, status in about if (status == PENDING) is cancel]
            if ids:
                values: dict[str, Any] = {"payload": REDACTED_PAYLOAD, "redacted_at": now}
                if cancel:
                    values.update(status=CANCELLED, claimed_until=None)
                await self._session.execute(
                    update(OutboxRow)
                    .where(col(OutboxRow.id).in_(ids))
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )

    async def _erase_replies(self, customer: CustomerId, forgotten: list[str]) -> None:
        kept = col(DeliveryRow.response).is_not(None)
        keys = list(
            await self._session.scalars(
                select(col(DeliveryRow.key)).where(
                    kept, col(DeliveryRow.recipient) == str(customer)
                )
            )
        )
        if forgotten:
            rows = await self._session.execute(
                select(col(DeliveryRow.key), col(DeliveryRow.response)).where(
                    kept, col(DeliveryRow.recipient) != str(customer)
                )
            )
            # `kept` leaves out missing replies; the check on None says so to the type checker.
            keys += [
                key
                for key, response in rows
                if response is not None and _mentions(response, forgotten)
            ]
        if keys:
            await self._session.execute(
                update(DeliveryRow)
                .where(col(DeliveryRow.key).in_(keys))
                .values(response=None, recipient=None)
                .execution_options(synchronize_session=False)
            )

    async def _drop_held(self, openid: str, forgotten: list[str], now: datetime) -> None:
        """Pushes held for the customer about a forgotten case are dropped, not sent."""
        if not forgotten:
            return
        waiting = and_(
            col(HeldMessageRow.openid) == openid,
            col(HeldMessageRow.delivered_at).is_(None),
            col(HeldMessageRow.case_number).in_(forgotten),
        )
        # Marked as gone rather than deleted: SQLite may reuse the id of a deleted last
        # row, and an id names its push in the outbox.
        dropped = await self._session.execute(
            update(HeldMessageRow)
            .where(waiting)
            .values(text=ERASED, delivered_at=now)
            .execution_options(synchronize_session=False)
        )
        held_dropped = rowcount(dropped)
        if held_dropped:
            await self._session.execute(
                update(DialogueRow)
                .where(
                    col(DialogueRow.platform) == Platform.WECHAT.value,
                    col(DialogueRow.user_id) == openid,
                )
                .values(
                    held=sql_case(
                        (col(DialogueRow.held) > held_dropped, DialogueRow.held - held_dropped),
                        else_=0,
                    )
                )
                .execution_options(synchronize_session=False)
            )


def _mentions(text: str, numbers: list[str]) -> bool:
    return any(number in text for number in numbers)
