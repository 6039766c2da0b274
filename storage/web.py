"""The web channel's conversations, the messages sent to them and their uploads, on SQL.

The stored messages are the truth of a web conversation: an answer, a push delivered by
any process, and what an event stream sends are all read from here.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from storage.database import session_factory
from storage.dialect import upsert
from storage.tables import WebAttachmentRow, WebConversationRow, WebMessageRow


@dataclass(frozen=True, slots=True)
class WebConversation:
    id: str
    origin: str
    email: str | None
    seen_at: datetime
    emailed_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredFile:
    conversation: str
    content_type: str
    content: bytes


class SqlWebStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def open(self, conversation: str, origin: str, now: datetime) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                WebConversationRow(id=conversation, origin=origin, created_at=now, seen_at=now)
            )

    async def conversation(self, conversation: str) -> WebConversation | None:
        async with self._sessions() as session:
            row = await session.get(WebConversationRow, conversation)
        if row is None:
            return None
        return WebConversation(
            row.id, row.origin, row.email, row.seen_at, row.emailed_at, row.ended_at
        )

    async def seen(self, conversation: str, now: datetime) -> None:
        await self._set(conversation, seen_at=now)

    async def end(self, conversation: str, now: datetime) -> None:
        """No session of it is accepted any more (a kiosk clears itself); its resume
        link, if a case was filed, still opens it."""
        await self._set(conversation, ended_at=now)

    async def reopen(self, conversation: str, now: datetime) -> None:
        await self._set(conversation, ended_at=None, seen_at=now)

    async def set_email(self, conversation: str, email: str | None) -> None:
        await self._set(conversation, email=email)

    async def emailed(self, conversation: str, now: datetime) -> None:
        await self._set(conversation, emailed_at=now)

    async def append(
        self, conversation: str, source: str, bodies: list[dict[str, Any]], now: datetime
    ) -> list[StoredMessage]:
        """Store `bodies` as sent for `source`, once however often it is called; returns
        the messages stored for it."""
        sources = [f"{source}:{i}" for i in range(len(bodies))]
        async with self._sessions() as session, session.begin():
            if bodies:
                await session.execute(
                    upsert(session, WebMessageRow).on_conflict_do_nothing(
                        index_elements=["source"]
                    ),
                    [
                        {"conversation": conversation, "source": s, "body": b, "created_at": now}
                        for s, b in zip(sources, bodies, strict=True)
                    ],
                )
            rows = await session.scalars(
                select(WebMessageRow)
                .where(
                    col(WebMessageRow.conversation) == conversation,
                    col(WebMessageRow.source).startswith(f"{source}:", autoescape=True),
                )
                .order_by(col(WebMessageRow.id))
            )
            return [StoredMessage(r.id or 0, r.body) for r in rows]

    async def after(self, conversation: str, after: int, limit: int) -> list[StoredMessage]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(WebMessageRow)
                .where(
                    col(WebMessageRow.conversation) == conversation,
                    col(WebMessageRow.id) > after,
                )
                .order_by(col(WebMessageRow.id))
                .limit(limit)
            )
            return [StoredMessage(r.id or 0, r.body) for r in rows]

    async def save_file(
        self, file_id: str, conversation: str, content_type: str, content: bytes, now: datetime
    ) -> None:
        async with self._sessions() as session, session.begin():
            session.add(
                WebAttachmentRow(
                    id=file_id,
                    conversation=conversation,
                    content_type=content_type,
                    size=len(content),
                    content=base64.b64encode(content).decode(),
                    created_at=now,
                )
            )

    async def file(self, file_id: str) -> StoredFile | None:
        async with self._sessions() as session:
            row = await session.get(WebAttachmentRow, file_id)
        if row is None:
            return None
        return StoredFile(row.conversation, row.content_type, base64.b64decode(row.content))

    async def _set(self, conversation: str, **values: Any) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(WebConversationRow)
                .where(col(WebConversationRow.id) == conversation)
                .values(**values)
            )
