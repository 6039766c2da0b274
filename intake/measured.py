"""The core's router, timed: one histogram observation per message a channel hands in
(`intake_dialogue_step_seconds`), and a redelivery marked as such for the request
counter. A thin layer at the channels' boundary: the dialogue itself is not touched."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from core.channel.answer import Outcome, Render
from core.channel.io import Incoming
from core.channel.outbox import Recipient
from core.channel.routing import Router
from core.identity import Platform
from telemetry.handling import DUPLICATE, mark
from telemetry.series import DIALOGUE_STEP

# The histogram's children by platform, looked up once: an observation is all a step costs.
_STEPS = {p: DIALOGUE_STEP.labels(p.value) for p in Platform}


@contextmanager
def _timed(platform: Platform) -> Iterator[None]:
    """Observe how long the block took, in that platform's histogram, however it ended."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _STEPS[platform].observe(time.perf_counter() - started)


def _counted(outcome: Outcome | None) -> None:
    """A redelivery's request is counted as a duplicate, not as a message handled."""
    if outcome is not None and outcome.redelivered:
        mark(DUPLICATE)


class MeasuredRouter(Router):
    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        *,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome:
        with _timed(incoming.customer.platform):
            outcome = await super().handle(incoming, now, render=render, reply_to=reply_to)
        _counted(outcome)
        return outcome

    async def handle_staff(
        self, incoming: Incoming, now: datetime, *, reply_to: Recipient
    ) -> Outcome | None:
        with _timed(incoming.customer.platform):
            outcome = await super().handle_staff(incoming, now, reply_to=reply_to)
        _counted(outcome)
        return outcome
