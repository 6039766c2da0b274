"""Messages that leave the service on their own (not as the answer to a message).

Staff actions cause messages to customers (a question, a result, an extension); a
customer's answer is relayed to staff; new cases are announced to departments. Each
is an `OutboundMessage` to a customer or to a staff chat, and the channels deliver them
through the one `Outbound` port.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.dialogue.io import Reply
from core.identity import CustomerId
from core.staff import ChatAddress

Recipient = CustomerId | ChatAddress


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    recipient: Recipient
    reply: Reply
    case_number: str | None = None  # what it is about (WeChat templates show it)


class Outbound(Protocol):
    async def send(self, messages: list[OutboundMessage]) -> None: ...
