"""WeChat's shared state on SQL: the access token, followers' push windows, held pushes.

Each method is its own short transaction. The token refresh and the push-budget
reservation lock their row first (an upsert that always writes), so several processes
agree: one token fetch at a time, and never more pushes than the window allows. The
window itself lives on the customer's conversation row (`dialogues`), which every
incoming message already writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlmodel import col

from core.cases.values import ERASED
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.identity import CustomerId, Platform
from storage.database import session_factory
from storage.dialect import upsert
from storage.outbox import SqlOutbox
from storage.tables import DialogueRow, HeldMessageRow, WeChatTokenRow

TokenFetch = Callable[[], Awaitable[tuple[str, int]]]


class SqlWeChatStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    # -- access token ------------------------------------------------------------------

    async def token(self, app_id: str) -> tuple[str, datetime] | None:
        async with self._sessions() as session:
            row = await session.get(WeChatTokenRow, app_id)
            if row is None or row.token is None or row.expires_at is None:
                return None
            return row.token, row.expires_at

    async def refresh_token(
        self, app_id: str, stale: str | None, now: datetime, margin: timedelta, fetch: TokenFetch
    ) -> tuple[str, datetime]:
        """A fresh token: another process's, if it refreshed meanwhile, else a new fetch."""
        async with self._sessions() as session, session.begin():
            await _lock(session, WeChatTokenRow, {"app_id": app_id, "version": 0}, "app_id")
            row = await _locked_row(session, WeChatTokenRow, WeChatTokenRow.app_id == app_id)
            if (
                row.token is not None
                and row.token != stale
                and row.expires_at is not None
                and row.expires_at - margin > now
            ):
                return row.token, row.expires_at
            token, expires_in = await fetch()
            row.token, row.expires_at = token, now + timedelta(seconds=expires_in)
            return token, row.expires_at

    # -- the customer-service window, kept on the customer's conversation row ----------

    async def record_unsubscribe(self, openid: str) -> None:
        """No more pushes until they follow again (any message of theirs says so)."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                upsert(session, DialogueRow)
                .values(_conversation(openid, subscribed=False))
                .on_conflict_do_update(
                    index_elements=["platform", "user_id"], set_={"subscribed": False}
                )
            )

    async def reserve_service_messages(
        self, openid: str, count: int, now: datetime, window: timedelta, budget: int
    ) -> bool | None:
        """Take `count` messages from the window's budget. True if taken, False if the
        window is closed or spent, None if the customer unsubscribed."""
        async with self._sessions() as session, session.begin():
            row = await _lock_conversation(session, openid)
            if not row.subscribed:
                return None
            if (
                row.last_message_at is None
                or now - row.last_message_at >= window
                or row.window_sends + count > budget
            ):
                return False
            row.window_sends += count
            return True

    # -- pushes waiting for the customer's next message --------------------------------

    async def hold(self, openid: str, text: str, case_number: str | None, now: datetime) -> None:
        async with self._sessions() as session, session.begin():
            row = await _lock_conversation(session, openid)
            row.held += 1
            await session.execute(
                insert(HeldMessageRow).values(
                    openid=openid, text=text, case_number=case_number, created_at=now
                )
            )

    async def release_held(self, openid: str, now: datetime) -> int:
        """Move the held pushes into the outbox, in one transaction: the customer just
        wrote, so the dispatcher can send them as customer-service messages."""
        async with self._sessions() as session, session.begin():
            row = await _lock_conversation(session, openid)
            held = (
                await session.execute(
                    select(
                        col(HeldMessageRow.id),
                        col(HeldMessageRow.text),
                        col(HeldMessageRow.case_number),
                    )
                    .where(
                        col(HeldMessageRow.openid) == openid,
                        col(HeldMessageRow.delivered_at).is_(None),
                    )
                    .order_by(col(HeldMessageRow.id))
                )
            ).all()
            if not held:
                return 0
            await session.execute(
                update(HeldMessageRow)
                .where(col(HeldMessageRow.id).in_([i for i, _, _ in held]))
                # The outbox carries the push from here on: no second copy of the words.
                .values(delivered_at=now, text=ERASED)
            )
            row.held = 0
            outbox = SqlOutbox(session)
            customer = CustomerId(Platform.WECHAT, openid)
            for message_id, text, case_number in held:
                await outbox.add(
                    [OutboundMessage(customer, Reply(text), case_number)],
                    now=now,
                    key=f"held:{message_id}",
                )
            return len(held)


def _conversation(openid: str, **values: object) -> dict[str, object]:
    row = {
        "platform": "wechat",
        "user_id": openid,
        "state": {},
        "version": 0,
        "window_sends": 0,
        "subscribed": True,
        "held": 0,
    }
    return {**row, **values}


async def _lock_conversation(session: AsyncSession, openid: str) -> DialogueRow:
    await session.execute(
        upsert(session, DialogueRow)
        .values(_conversation(openid))
        .on_conflict_do_update(
            index_elements=["platform", "user_id"], set_={"version": DialogueRow.version + 1}
        )
    )
    where = (DialogueRow.platform == "wechat") & (DialogueRow.user_id == openid)
    return await _locked_row(session, DialogueRow, where)


async def _lock(
    session: AsyncSession, table: type[WeChatTokenRow], defaults: dict[str, object], key: str
) -> None:
    """Lock (creating if need be) one row until the transaction ends."""
    await session.execute(
        upsert(session, table)
        .values(defaults)
        .on_conflict_do_update(index_elements=[key], set_={"version": col(table.version) + 1})
    )


async def _locked_row(session: AsyncSession, table: Any, where: Any) -> Any:
    """The row `_lock` just locked (it exists: the lock inserts it if need be)."""
    return (
        await session.scalars(select(table).where(where).execution_options(populate_existing=True))
    ).one()
