"""Keeping personal data no longer than needed (PIPL): forget abandoned intakes, and
redact messages once they are delivered and old.

An unfinished intake may hold the name and phone number a customer typed before they
walked away, and words or files sent after filing may wait for a case to be chosen.
Once such a dialogue has been idle longer than the dialogue's timeout — when the
customer would be told it expired anyway — its answers are dropped; the language choice
and any pending question from staff are kept.

A delivered message (an intake's summary with the contact details, a staff alert) is
needed only until it is delivered; its payload is redacted after the retention, and the
record that it was sent — to whom, for what cause, when — stays for audit. A stored
passive reply is needed only while the platform may deliver the same message again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.customers.dialogue.state import Dialogue
from core.ports import UnitOfWork

BATCH = 1000  # per run (or per transaction); the scheduler runs these every few minutes
# WeChat retries an unanswered message within about 15 seconds: ample margin.
REPLIES_KEPT = timedelta(minutes=10)


async def forget_abandoned_intakes(
    unit_of_work: Callable[[], UnitOfWork], *, idle: timedelta, now: datetime
) -> int:
    """Reset intakes idle for longer than `idle`; returns how many were forgotten."""
    forgotten = 0
    async with unit_of_work() as uow:
        for customer in await uow.dialogues.abandoned(now - idle, BATCH):
            # Locked and checked again: the customer may have written since the query.
            dialogue = (await uow.dialogues.lock(customer, now, customer_wrote=False)).dialogue
            if dialogue is None or not dialogue.unfinished:
                await uow.dialogues.save(customer, dialogue or Dialogue())  # clears the mark
            elif dialogue.updated_at is None or now - dialogue.updated_at > idle:
                await uow.dialogues.save(customer, dialogue.restarted())
                forgotten += 1
        await uow.commit()
    return forgotten


async def redact_delivered(
    unit_of_work: Callable[[], UnitOfWork], *, kept: timedelta, now: datetime
) -> int:
    """Redact messages delivered more than `kept` ago and passive replies older than
    `REPLIES_KEPT`, a batch per transaction; returns how many rows were redacted."""
    total = 0
    while True:
        async with unit_of_work() as uow:
            changed = await uow.traces.expire(
                messages_before=now - kept, replies_before=now - REPLIES_KEPT, now=now, limit=BATCH
            )
            await uow.commit()
        total += changed
        if changed < BATCH:
            return total
