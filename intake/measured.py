"""The core's router, timed: one histogram observation per message a channel hands in
(`intake_dialogue_step_seconds`), and a redelivery marked as such for the request
counter. A thin layer at the channels' boundary: the dialogue itself is not touched."""

from __future__ import annotations

import time
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


class MeasuredRouter(Router):
    async def handle(
        self,
        incoming: Incoming,
        now: datetime,
        *,
        render: Render | None = None,
        reply_to: Recipient | None = None,
    ) -> Outcome:
        started = time.perf_counter()
        try:
            outcome = await super().handle(incoming, now, render=render, reply_to=reply_to)
        finally:
            _STEPS[incoming.customer.platform].observe(time.perf_counter() - started)
        if outcome.redelivered:
            mark(DUPLICATE)
        return outcome

    async def handle_staff(
        self, incoming: Incoming, now: datetime, *, reply_to: Recipient
    ) -> Outcome | None:
        started = time.perf_counter()
        try:
            outcome = await super().handle_staff(incoming, now, reply_to=reply_to)
        finally:
            _STEPS[incoming.customer.platform].observe(time.perf_counter() - started)
        if outcome is not None and outcome.redelivered:
            mark(DUPLICATE)
        return outcome
