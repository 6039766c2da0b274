"""Fakes of the ports, for tests of the core services without channels."""

from __future__ import annotations

from core.outbound import OutboundMessage


class RecordingOutbound:
    """Keeps what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def send(self, messages: list[OutboundMessage]) -> None:
        self.sent.extend(messages)
