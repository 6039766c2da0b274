"""Where a chat message goes: a staff command to the desk, anything else to the
customer's dialogue. Every channel calls `Router` and nothing else for it.

The desk declines what is not a staff command from active staff, and the customer's
dialogue then answers it: people who are not staff get the customer experience, and
never learn that staff commands exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.channel.answer import Outcome, Render
from core.channel.io import Incoming
from core.channel.outbox import Recipient


class Desk(Protocol):
    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome | None:
        """Handle a staff command; None if this is not one."""
        ...


class Customers(Protocol):
    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome:
        """Answer a customer's message in their dialogue."""
        ...


class Router:
    def __init__(self, desk: Desk, customers: Customers) -> None:
        self._desk = desk
        self._customers = customers

    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        *,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome:
        """Answer one message. `render` turns the replies into the channel's response,
        kept with the delivery id for redeliveries (WeChat's passive reply); with
        `reply_to` the replies are queued for that chat instead (Telegram)."""
        outcome = await self._desk.handle(incoming, now, render, reply_to)
        if outcome is not None:
            return outcome
        return await self._customers.handle(incoming, now, render, reply_to)

    async def handle_staff(
        self, incoming: Incoming, now: datetime, *, reply_to: Recipient
    ) -> Outcome | None:
        """Answer a staff command where customers do not write (a team's group chat);
        anything else gets no answer there: None."""
        return await self._desk.handle(incoming, now, reply_to=reply_to)
