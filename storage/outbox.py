"""The outbox on SQL: queued in the cause's transaction, claimed and marked by dispatchers.

A dispatcher claims a message with a short lease (committed at once, so no transaction
stays open while the platform is called) and only if it is the oldest pending message
of its chat, so each chat gets its messages in order. On PostgreSQL `FOR UPDATE SKIP
LOCKED` lets several dispatchers claim side by side without ever taking the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from core.analytics.periods import Period, PeriodKind
from core.cases.values import Attachment
from core.channel.io import Option, Reply
from core.channel.outbox import OutboundMessage, ReportOrder
from core.desk.staff import ChatAddress
from core.identity import CustomerId, Platform
from storage.database import rowcount, session_factory
from storage.dialect import upsert
from storage.tables import ChatPacingRow, OutboxRow
from telemetry.handling import current_request_id

PENDING, SENT, FAILED = "pending", "sent", "failed"
# Never sent: it concerned a case the customer had forgotten (`storage.erasure`).
CANCELLED = "cancelled"


class SqlOutbox:
    """`core.channel.outbox.Outbox` inside a unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, messages: list[OutboundMessage], *, now: datetime, key: str) -> None:
        if not messages:
            return
        request_id = current_request_id()
        rows = [
            {
                **_recipient(m),
                "payload": _payload(m.reply, m.report),
                "case_number": m.case_number,
                "idempotency_key": f"{key}:{i}",
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "request_id": request_id,
            }
            for i, m in enumerate(messages)
        ]
        # Rows as parameters, not inlined values: the statement compiles once and is cached.
        await self._session.execute(
            upsert(self._session, OutboxRow).on_conflict_do_nothing(
                index_elements=["idempotency_key"]
            ),
            rows,
        )


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    message: OutboundMessage
    attempts: int
    key: str
    request_id: str | None = None  # of the request that queued it


@dataclass(frozen=True, slots=True)
class Listed:
    id: int
    status: str
    platform: str
    address: str
    case_number: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    text: str


class SqlOutboxQueue:
    """The dispatcher's side: claim, mark sent, reschedule, fail; list and requeue."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)
        self._postgres = engine.dialect.name == "postgresql"

    async def claim(
        self, now: datetime, *, limit: int, lease: timedelta, paused: frozenset[str] = frozenset()
    ) -> list[Claimed]:
        earlier = aliased(OutboxRow)
        candidates = (
            select(col(OutboxRow.id))
            .where(
                col(OutboxRow.status) == PENDING,
                col(OutboxRow.next_attempt_at) <= now,
                or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now),
                col(OutboxRow.platform).not_in(paused),
                ~exists().where(  # the oldest pending message of its chat
                    col(earlier.platform) == col(OutboxRow.platform),
                    col(earlier.address) == col(OutboxRow.address),
                    col(earlier.status) == PENDING,
                    col(earlier.id) < col(OutboxRow.id),
                ),
                ~exists().where(  # and the chat may get a message now
                    col(ChatPacingRow.platform) == col(OutboxRow.platform),
                    col(ChatPacingRow.address) == col(OutboxRow.address),
                    col(ChatPacingRow.next_at) > now,
                ),
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
        if self._postgres:
            candidates = candidates.with_for_update(skip_locked=True, of=OutboxRow)
        async with self._sessions() as session:
            # A read first: an idle dispatcher must not take SQLite's single writer slot
            # (nor PostgreSQL row locks) just to find that nothing is due.
            due = await session.scalar(
                select(col(OutboxRow.id))
                .where(col(OutboxRow.status) == PENDING, col(OutboxRow.next_attempt_at) <= now)
                .limit(1)
            )
        if due is None:
            return []
        async with self._sessions() as session, session.begin():
            rows = (
                (
                    await session.execute(
                        update(OutboxRow)
                        .where(col(OutboxRow.id).in_(candidates.scalar_subquery()))
                        .values(claimed_until=now + lease, attempts=OutboxRow.attempts + 1)
                        .returning(OutboxRow)
                    )
                )
                .scalars()
                .all()
            )
            return [
                Claimed(_id(r), stored_message(r), r.attempts, r.idempotency_key, r.request_id)
                for r in sorted(rows, key=_id)
            ]

    async def sent(self, message_id: int, now: datetime, chat_free_at: datetime) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(OutboxRow, message_id)
            if row is None:
                return
            row.status, row.sent_at, row.claimed_until = SENT, now, None
            await session.execute(
                upsert(session, ChatPacingRow)
                .values(platform=row.platform, address=row.address, next_at=chat_free_at)
                .on_conflict_do_update(
                    index_elements=["platform", "address"], set_={"next_at": chat_free_at}
                )
            )

    async def retry(self, message_id: int, at: datetime, error: str) -> None:
        await self._update(
            message_id, next_attempt_at=at, claimed_until=None, last_error=error[:2000]
        )

    async def fail(self, message_id: int, error: str) -> None:
        await self._update(message_id, status=FAILED, claimed_until=None, last_error=error[:2000])

    async def requeue(self, message_id: int, now: datetime) -> bool:
        """Send a failed message again (`intake outbox retry`)."""
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(OutboxRow)
                .where(
                    col(OutboxRow.id) == message_id,
                    col(OutboxRow.status) == FAILED,
                    col(OutboxRow.redacted_at).is_(None),  # erased: nothing left to send
                )
                .values(status=PENDING, attempts=0, next_attempt_at=now, claimed_until=None)
            )
            return rowcount(result) == 1

    async def listing(self, statuses: tuple[str, ...] = (PENDING, FAILED)) -> list[Listed]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(OutboxRow)
                .where(col(OutboxRow.status).in_(statuses))
                .order_by(col(OutboxRow.id))
            )
            return [
                Listed(
                    _id(r),
                    r.status,
                    r.platform,
                    r.address,
                    r.case_number,
                    r.attempts,
                    r.next_attempt_at,
                    r.last_error,
                    r.payload["text"],
                )
                for r in rows
            ]

    async def _update(self, message_id: int, **values: Any) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxRow).where(col(OutboxRow.id) == message_id).values(**values)
            )


def _id(row: OutboxRow) -> int:
    return row.id or 0


def _recipient(message: OutboundMessage) -> dict[str, Any]:
    recipient = message.recipient
    if isinstance(recipient, CustomerId):
        return {
            "platform": recipient.platform.value,
            "address": recipient.user_id,
            "to_customer": True,
        }
    return {
        "platform": recipient.platform.value,
        "address": recipient.chat_id,
        "to_customer": False,
    }


def _payload(reply: Reply, report: ReportOrder | None) -> dict[str, Any]:
    return {
        "text": reply.text,
        "options": [[o.key, o.label] for o in reply.options],
        "contact_button": reply.contact_button,
        "media": [[a.kind, a.ref, a.caption] for a in reply.media],
        "media_platform": reply.media_platform.value if reply.media_platform else None,
        "continued": reply.continued,
        "report": None if report is None else _order(report),
    }


def _order(report: ReportOrder) -> dict[str, Any]:
    period = report.period
    return {
        "kind": period.kind.value,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "department": report.department,
        "language": report.language,
    }


def _report(stored: dict[str, Any] | None) -> ReportOrder | None:
    if stored is None:
        return None
    period = Period(
        PeriodKind(stored["kind"]),
        date.fromisoformat(stored["first"]),
        date.fromisoformat(stored["last"]),
    )
    return ReportOrder(period, stored["department"], stored["language"])


def stored_message(row: OutboxRow) -> OutboundMessage:
    """The message a row holds, as the dispatcher hands it to its channel."""
    platform = Platform(row.platform)
    recipient: CustomerId | ChatAddress = (
        CustomerId(platform, row.address) if row.to_customer else ChatAddress(platform, row.address)
    )
    p = row.payload
    reply = Reply(
        p["text"],
        tuple(Option(k, label) for k, label in p["options"]),
        p["contact_button"],
        tuple(Attachment(k, r, c) for k, r, c in p["media"]),
        Platform(p["media_platform"]) if p["media_platform"] else None,
        p.get("continued"),  # absent from messages queued before it existed
    )
    # A report order is absent from messages queued before reports were sent this way.
    return OutboundMessage(
        recipient, reply, row.case_number, _report(p.get("report")), key=row.idempotency_key
    )
