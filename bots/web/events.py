"""Who is listening to a conversation's event stream in this process, and waking them.

A stream sends what the store holds after the last id it sent, then waits to be woken by
a delivery in this process, or polls: a push delivered by another process shows up
within `POLL_SECONDS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

POLL_SECONDS = 1.0


class Listeners:
    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self.closing = asyncio.Event()  # the service stops: streams end

    def wake(self, conversation: str) -> None:
        for event in self._waiting.get(conversation, ()):
            event.set()

    def online(self, conversation: str) -> bool:
        return bool(self._waiting.get(conversation))

    @contextmanager
    def listen(self, conversation: str) -> Iterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiting.setdefault(conversation, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting[conversation]
            waiting.discard(event)
            if not waiting:
                del self._waiting[conversation]

    async def wait(self, event: asyncio.Event) -> None:
        """Until woken, the poll interval passes or the service closes."""
        woken = asyncio.ensure_future(event.wait())
        closing = asyncio.ensure_future(self.closing.wait())
        await asyncio.wait(
            {woken, closing}, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        woken.cancel()
        closing.cancel()
        event.clear()
