"""WeChat's shared state on SQL: the access token, followers' push windows, held pushes.

Each method is its own short transaction. The token refresh and the push-budget
reservation lock their row first (an upsert that always writes), so several processes
agree: one token fetch at a time, and never more pushes than the window allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.dialect import upsert
from storage.tables import HeldMessageRow, WeChatFollowerRow, WeChatTokenRow

TokenFetch = Callable[[], Awaitable[tuple[str, int]]]


class SqlWeChatStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

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

    # -- followers and their customer-service window -----------------------------------

    async def record_interaction(self, openid: str, now: datetime) -> None:
        """The customer wrote: a new 48-hour window with a fresh budget opens."""
        await self._follower(openid, subscribed=True, last_message_at=now, window_sends=0)

    async def record_subscription(self, openid: str, subscribed: bool, now: datetime) -> None:
        if subscribed:
            await self.record_interaction(openid, now)
        else:
            await self._follower(openid, subscribed=False)

    async def reserve_service_messages(
        self, openid: str, count: int, now: datetime, window: timedelta, budget: int
    ) -> bool | None:
        """Take `count` messages from the window's budget. True if taken, False if the
        window is closed or spent, None if the customer unsubscribed."""
        async with self._sessions() as session, session.begin():
            await _lock(
                session,
                WeChatFollowerRow,
                {"openid": openid, "subscribed": True, "window_sends": 0, "version": 0},
                "openid",
            )
            row = await _locked_row(session, WeChatFollowerRow, WeChatFollowerRow.openid == openid)
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

    async def _follower(self, openid: str, **values: object) -> None:
        async with self._sessions() as session, session.begin():
            defaults = {"openid": openid, "subscribed": True, "window_sends": 0, "version": 0}
            await session.execute(
                upsert(session, WeChatFollowerRow)
                .values({**defaults, **values})
                .on_conflict_do_update(index_elements=["openid"], set_=values)
            )

    # -- pushes waiting for the customer's next interaction --------------------------------

    async def hold(self, openid: str, text: str, case_number: str | None, now: datetime) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                insert(HeldMessageRow).values(
                    openid=openid, text=text, case_number=case_number, created_at=now
                )
            )

    async def held(self, openid: str) -> list[tuple[int, str]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(HeldMessageRow.id, HeldMessageRow.text)
                .where(HeldMessageRow.openid == openid, HeldMessageRow.delivered_at.is_(None))
                .order_by(HeldMessageRow.id)
            )
            return [(i, t) for i, t in rows]

    async def mark_delivered(self, message_id: int, now: datetime) -> bool:
        """True for the one caller that marks it; a concurrent flush gets False."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(HeldMessageRow)
                .where(HeldMessageRow.id == message_id, HeldMessageRow.delivered_at.is_(None))
                .values(delivered_at=now)
            )
            return result.rowcount == 1

    async def release(self, message_id: int) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(HeldMessageRow)
                .where(HeldMessageRow.id == message_id)
                .values(delivered_at=None)
            )


async def _lock(session: AsyncSession, table: type, defaults: dict[str, object], key: str) -> None:
    """Lock (creating if need be) one row until the transaction ends."""
    await session.execute(
        upsert(session, table)
        .values(defaults)
        .on_conflict_do_update(index_elements=[key], set_={"version": table.version + 1})
    )


async def _locked_row(session: AsyncSession, table: Any, where: Any) -> Any:
    """The row `_lock` just locked (it exists: the lock inserts it if need be)."""
    return (
        await session.scalars(select(table).where(where).execution_options(populate_existing=True))
    ).one()
