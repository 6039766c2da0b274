"""Messages that leave the service on their own (not as the answer to a message).

Staff actions cause messages to customers (a question, a result, an extension); a
customer's answer is relayed to staff; new cases are announced to departments; the
scheduler chases deadlines. Each is an `OutboundMessage` to a customer or to a staff
chat. It is queued in the `Outbox` in the same transaction as the change that causes
it, and the dispatcher hands it to its platform through `Delivery`: a crash or an
outage delays a message, but never loses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from core.analytics.periods import Period
from core.channel.io import Reply
from core.desk.staff import ChatAddress
from core.identity import CustomerId

Recipient = CustomerId | ChatAddress


@dataclass(frozen=True, slots=True)
class ReportOrder:
    """A report to make when the message is sent (`core.analytics.orders`): the figures
    of a period, of one department or of all, in the recipient's language."""

    period: Period
    department: str | None  # None: every department
    language: str


@dataclass(frozen=True, slots=True)
class MadeReport:
    """A report made for sending: its targets as text, its files, and a line saying where
    the files can be fetched, for a platform that does not take them along."""

    summary: str
    files: tuple[Path, ...]
    where: str


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    recipient: Recipient
    reply: Reply
    case_number: str | None = None  # what it is about (WeChat templates show it)
    # A report to make and send along: `reply` is then its heading.
    report: ReportOrder | None = None
    # The outbox's name for it once queued: a delivery that stores what it sends (the
    # web) stores a redelivered message once.
    key: str | None = field(default=None, compare=False)


class Outbox(Protocol):
    """Queues messages inside the caller's transaction; they leave once it commits."""

    async def add(self, messages: list[OutboundMessage], *, now: datetime, key: str) -> None:
        """Queue `messages`; `key` names their cause, so the same cause queues them once."""
        ...


class Delivery(Protocol):
    """Hands one message to its platform (the dispatcher's side of the outbox)."""

    async def deliver(self, message: OutboundMessage) -> None:
        """Raises `RetryLater` or `Undeliverable`; any other error is retried with backoff."""
        ...


class RetryLater(Exception):
    """The platform asked to wait (Telegram's 429 with retry_after)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds} s")
        self.seconds = seconds


class Undeliverable(Exception):
    """Retrying cannot help (blocked by the user, malformed for the platform...)."""
