"""How a message is answered: the outcome a channel gets back, and settling it.

The desk and the customer's dialogue answer a message the same way, so a channel treats
both alike: the replies are rendered into the channel's response and kept with the
delivery id, or queued for the chat, in the transaction that handled the message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from core.channel.io import Reply
from core.channel.outbox import OutboundMessage, Recipient
from core.identity import CustomerId
from core.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling a message produced."""

    replies: list[Reply]  # empty for a redelivery: it was answered the first time
    response: str | None = None  # the channel's rendering of the replies (see `Render`)
    redelivered: bool = False
    waiting_pushes: int = 0  # pushes held until this customer wrote: send them now


# A channel's response to a message, and the replies that did not fit in it (WeChat's
# passive reply holds one message of about 2 KB; the rest follow as pushes).
Render = Callable[[list[Reply]], tuple[str, list[Reply]]]


async def settle_answer(
    uow: UnitOfWork,
    *,
    key: str | None,
    sender: CustomerId,
    replies: list[Reply],
    sends: list[OutboundMessage],
    now: datetime,
    render: Render | None,
    reply_to: Recipient | None,
) -> tuple[str | None, bool]:
    """Settle how a message is answered, inside its transaction: keep the rendered
    response for redeliveries and queue every message that must leave. Returns the
    response and whether anything was queued."""
    response = None
    if render is not None:
        response, rest = render(replies)
        sends = [*(OutboundMessage(sender, r) for r in rest), *sends]
        if key is not None:
            await uow.deliveries.keep_response(key, response, sender)
    if reply_to is not None:
        sends = [*(OutboundMessage(reply_to, r) for r in replies), *sends]
    await uow.outbox.add(sends, now=now, key=key or f"local:{uuid.uuid4().hex}")
    return response, bool(sends)
