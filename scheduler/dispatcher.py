"""The dispatcher: delivers what the outbox holds, exactly once and in order per chat.

Workers claim one message at a time (a short lease, the oldest pending message of its
chat, when the chat's pacing allows), hand it to its platform and record the outcome:
sent (and when the chat may get its next one), retry later (a 429's retry_after, or
exponential backoff after a 5xx, a timeout or a network error), or failed (the platform
said no for good, or the attempts ran out), which the administrators are told about.
While a channel cannot reach its platform at all, that platform's messages are left
unclaimed: an outage delays them without using up their attempts.

Each delivery runs under the request id of the request that queued the message, so its
log lines (sent, retried, given up) carry the same `request_id` as the webhook's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from core.channel.outbox import Delivery, OutboundMessage, RetryLater, Undeliverable
from core.identity import Platform
from core.ports import Alerts
from storage.outbox import Claimed, SqlOutboxQueue
from telemetry.handling import handling
from telemetry.series import DELIVERIES, FAILED, RETRY, SENT

log = logging.getLogger("scheduler.dispatcher")

LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
IDLE_POLL_S = 1.0
# Recording a delivered message as sent is retried this often while the database is
# away, up to the end of its claim (doubling to 2 s).
MARK_RETRY_S = 0.25
MARK_RETRY_CAP_S = 2.0
MARK_MARGIN_S = 1.0  # stop before the lease ends: after it, another dispatcher may send


class Dispatcher:
    def __init__(
        self,
        queue: SqlOutboxQueue,
        delivery: Delivery,
        alerts: Alerts,
        clock: Callable[[], datetime],
        *,
        chat_interval: dict[Platform, timedelta],
        workers: int = 4,
        lease: timedelta = LEASE,
        backoff_base_s: float = BACKOFF_BASE_S,
        quiet_prefix: str = "\0",
        held: Callable[[], frozenset[str]] = frozenset,
        mark_retry_s: float = MARK_RETRY_S,
    ) -> None:
        """`quiet_prefix`: outbox keys of messages whose failure is only logged; `held`:
        platforms whose channel is down, whose messages wait without spending attempts."""
        self._queue = queue
        self._delivery = delivery
        self._alerts = alerts
        self._clock = clock
        self._chat_interval = chat_interval
        self._workers = workers
        # Longer than any one delivery may take: a claim outlives it only if the process
        # died, and then another dispatcher takes the message once the lease runs out.
        self._lease = lease
        self._backoff_base_s = backoff_base_s
        self._quiet_prefix = quiet_prefix
        self._held = held
        self._mark_retry_s = mark_retry_s
        self._wake = asyncio.Event()
        # A platform that answered 429 for the whole bot rests until then.
        self._paused_until: dict[str, datetime] = {}

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set."""
        await asyncio.gather(*(self._worker(stop, polls=i == 0) for i in range(self._workers)))

    async def deliver_due(self) -> int:
        """Deliver everything that may go now, one at a time; how many were handled."""
        handled = 0
        while await self._one():
            handled += 1
        return handled

    async def _worker(self, stop: asyncio.Event, *, polls: bool) -> None:
        """One worker polls while idle and wakes the others when it finds work; the
        rest sleep until woken, so an idle service costs one cheap read a second."""
        while not stop.is_set():
            try:
                busy = await self._one()
            except Exception:  # the database went away, say: keep going, do not spin
                log.exception("dispatcher step failed")
                busy = False
            if busy:
                if polls:
                    self._wake.set()  # more may be due: let the others help
                continue
            self._wake.clear()
            stopping = asyncio.ensure_future(stop.wait())
            waking = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait(
                {stopping, waking},
                timeout=IDLE_POLL_S if polls else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            stopping.cancel()
            waking.cancel()

    async def _one(self) -> bool:
        now = self._clock()
        paused = self._held() | {p for p, until in self._paused_until.items() if until > now}
        claimed = await self._queue.claim(now, limit=1, lease=self._lease, paused=paused)
        if not claimed:
            return False
        await self._deliver(claimed[0])
        return True

    async def _deliver(self, item: Claimed) -> None:
        with handling(item.request_id):
            await self._attempt(item)

    async def _attempt(self, item: Claimed) -> None:
        # Measured from just after the claim: the lease ends a little earlier than this.
        claim_ends = time.monotonic() + self._lease.total_seconds()
        message = item.message
        platform = message.recipient.platform
        try:
            await self._delivery.deliver(message)
        except RetryLater as wait:
            at = self._clock() + timedelta(seconds=wait.seconds)
            self._paused_until[platform.value] = at
            await self._retry(item, at, str(wait))
        except Undeliverable as refusal:
            await self._give_up(item, f"undeliverable: {refusal}")
        except Exception as error:  # 5xx, timeouts, network: try again later
            if item.attempts >= MAX_ATTEMPTS:
                await self._give_up(item, f"{type(error).__name__}: {error}")
            else:
                delay = min(BACKOFF_CAP_S, self._backoff_base_s * 2 ** (item.attempts - 1))
                at = self._clock() + timedelta(seconds=delay)
                await self._retry(item, at, f"{type(error).__name__}: {error}")
        else:
            await self._record_sent(item, platform, claim_ends)

    async def _record_sent(self, item: Claimed, platform: Platform, claim_ends: float) -> None:
        """The platform has the message: record that, through a database outage too. A
        message left claimed is sent again once its lease runs out, so until then keep
        trying; only a process that dies here (or an outage longer than the lease) can
        still make the platform get it twice."""
        pause = self._mark_retry_s
        interval = self._chat_interval.get(platform, timedelta(0))
        while True:
            now = self._clock()
            try:
                await self._queue.sent(item.id, now, chat_free_at=now + interval)
                break
            except Exception:
                if time.monotonic() + pause >= claim_ends - MARK_MARGIN_S:
                    raise
                log.warning(
                    "a delivered message could not be recorded as sent; trying again",
                    extra=_about(item),
                )
            await asyncio.sleep(pause)
            pause = min(2 * pause, MARK_RETRY_CAP_S)
        DELIVERIES.labels(platform.value, SENT).inc()
        log.info("outbox message sent", extra=_about(item))

    async def _retry(self, item: Claimed, at: datetime, reason: str) -> None:
        await self._queue.retry(item.id, at, reason)
        platform = item.message.recipient.platform.value
        DELIVERIES.labels(platform, RETRY).inc()
        log.info(
            "outbox message to be sent again",
            extra=_about(item, reason=reason, at=at.isoformat()),
        )

    async def _give_up(self, item: Claimed, reason: str) -> None:
        await self._queue.fail(item.id, reason)
        platform = item.message.recipient.platform.value
        DELIVERIES.labels(platform, FAILED).inc()
        report = _failure_report(item.id, item.message, reason)
        if item.key.startswith(self._quiet_prefix):
            log.error(report, extra=_about(item))  # an undeliverable alert is not alerted again
        else:
            await self._alerts.alert_admins(report)  # which logs it too


def _about(item: Claimed, **more: object) -> dict[str, object]:
    """What the dispatcher's log lines say about a message: never its words."""
    platform = item.message.recipient.platform.value
    return {"outbox_id": item.id, "platform": platform, "attempt": item.attempts, **more}


def _failure_report(message_id: int, message: OutboundMessage, reason: str) -> str:
    about = f" about {message.case_number}" if message.case_number else ""
    return (
        f"outbox message {message_id}{about} to {message.recipient.platform.value} "
        f"could not be delivered ({reason}); `intake outbox retry {message_id}` "
        f"sends it again"
    )
