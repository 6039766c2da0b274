"""The outbox and its dispatchers on a real database: once, in order, never lost."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.analytics.periods import Period
from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.channel.io import Incoming, Reply, Text
from core.channel.outbox import OutboundMessage, ReportOrder, RetryLater, Undeliverable
from core.desk.staff import ChatAddress, Role
from core.identity import CustomerId, Platform
from intake import admin
from intake.alerts import KEY_PREFIX, AdminAlerts
from scheduler.dispatcher import Dispatcher
from storage.database import create_engine
from storage.outbox import FAILED, SENT, SqlOutboxQueue
from storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_url
from tests.factories import desk_service
from tests.fakes import RecordingAlerts


class RecordingDelivery:
    """Records deliveries; can refuse the first few attempts of chosen messages."""

    def __init__(self, expected: int = 0) -> None:
        self.delivered: list[tuple[str, str]] = []
        self.refusals: dict[str, list[Exception]] = {}
        self.expected = expected
        self.all_there = asyncio.Event()

    async def deliver(self, message: OutboundMessage) -> None:
        pending = self.refusals.get(message.reply.text)
        if pending:
            raise pending.pop(0)
        recipient = message.recipient
        address = recipient.user_id if isinstance(recipient, CustomerId) else recipient.chat_id
        self.delivered.append((address, message.reply.text))
        if len(self.delivered) >= self.expected:
            self.all_there.set()


class Clock:
    """Real time unless moved on by hand."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def now() -> datetime:
    return datetime.now(UTC)


async def queue_messages(engine: AsyncEngine, chats: int, per_chat: int) -> None:
    async with SqlUnitOfWork(engine) as uow:
        for n in range(per_chat):
            await uow.outbox.add(
                [
                    OutboundMessage(CustomerId(Platform.TELEGRAM, f"chat{c}"), Reply(f"{c}:{n}"))
                    for c in range(chats)
                ],
                now=now(),
                key=f"batch-{n}",
            )
        await uow.commit()


def dispatcher(
    engine: AsyncEngine,
    delivery: RecordingDelivery,
    clock: Clock | None = None,
    workers: int = 4,
) -> Dispatcher:
    return Dispatcher(
        SqlOutboxQueue(engine),
        delivery,
        RecordingAlerts(),
        clock or now,
        chat_interval={},
        workers=workers,
    )


async def test_the_same_cause_queues_a_message_once(engine: AsyncEngine) -> None:
    for _ in range(3):  # a retried cause
        async with SqlUnitOfWork(engine) as uow:
            await uow.outbox.add(
                [OutboundMessage(CustomerId(Platform.WECHAT, "o1"), Reply("hello"))],
                now=now(),
                key="cause-1",
            )
            await uow.commit()
    assert len(await SqlOutboxQueue(engine).listing()) == 1


async def test_two_dispatchers_deliver_a_thousand_messages_once_each_in_order(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await queue_messages(engine, chats=50, per_chat=20)
    # Two dispatchers with their own connection pools, as two processes would have.
    other = create_engine(database_url(tmp_path))
    delivery = RecordingDelivery(expected=1000)
    stop = asyncio.Event()
    first = dispatcher(engine, delivery, workers=4)
    second = dispatcher(other, delivery, workers=4)
    runs = [asyncio.create_task(d.run(stop)) for d in (first, second)]
    try:
        async with asyncio.timeout(60):
            await delivery.all_there.wait()
    finally:
        stop.set()
        await asyncio.gather(*runs)
        await other.dispose()
    assert len(delivery.delivered) == 1000 == len(set(delivery.delivered))
    per_chat: dict[str, list[int]] = defaultdict(list)
    for chat, text in delivery.delivered:
        per_chat[chat].append(int(text.split(":")[1]))
    assert all(order == list(range(20)) for order in per_chat.values())
    assert await SqlOutboxQueue(engine).listing() == []


async def test_retry_later_backoff_and_giving_up(engine: AsyncEngine, caplog: object) -> None:
    await queue_messages(engine, chats=1, per_chat=3)
    delivery = RecordingDelivery()
    delivery.refusals = {
        "0:0": [ConnectionError("reset"), RetryLater(0.01)],
        "0:1": [Undeliverable("blocked by the user")],
    }
    clock = Clock()
    d = dispatcher(engine, delivery, clock)
    for _ in range(3):  # a connection error, then a 429, then success
        await d.deliver_due()
        clock.offset += timedelta(minutes=1)  # past any backoff or retry_after
    listing = await SqlOutboxQueue(engine).listing((SENT, FAILED))
    assert delivery.delivered == [("chat0", "0:0"), ("chat0", "0:2")]
    statuses = {item.text: (item.status, item.attempts) for item in listing}
    assert statuses == {"0:0": (SENT, 3), "0:1": (FAILED, 1), "0:2": (SENT, 1)}
    failed = next(i for i in listing if i.status == FAILED)
    assert "blocked by the user" in (failed.last_error or "")
    assert await SqlOutboxQueue(engine).requeue(failed.id, clock())
    await d.deliver_due()
    assert delivery.delivered[-1] == ("chat0", "0:1")


class LosingMarks(SqlOutboxQueue):
    """The database goes away between the send and recording it, for a few tries."""

    def __init__(self, engine: AsyncEngine, failures: int) -> None:
        super().__init__(engine)
        self.failures = failures

    async def sent(self, message_id: int, now: datetime, chat_free_at: datetime) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("the database is restarting")
        await super().sent(message_id, now, chat_free_at=chat_free_at)


async def test_a_sent_message_is_recorded_once_the_database_is_back(engine: AsyncEngine) -> None:
    """Left claimed, it would be sent again when the lease runs out: a duplicate."""
    await queue_messages(engine, chats=1, per_chat=1)
    delivery = RecordingDelivery()
    queue = LosingMarks(engine, failures=3)
    d = Dispatcher(queue, delivery, RecordingAlerts(), now, chat_interval={}, mark_retry_s=0.0)
    assert await d.deliver_due() == 1
    assert queue.failures == 0
    [item] = await SqlOutboxQueue(engine).listing((SENT,))
    assert (item.text, item.attempts) == ("0:0", 1)
    assert delivery.delivered == [("chat0", "0:0")]


async def test_a_chat_is_paced(engine: AsyncEngine) -> None:
    await queue_messages(engine, chats=2, per_chat=2)
    delivery = RecordingDelivery()
    d = Dispatcher(
        SqlOutboxQueue(engine),
        delivery,
        RecordingAlerts(),
        now,
        chat_interval={Platform.TELEGRAM: timedelta(hours=1)},
    )
    assert await d.deliver_due() == 2  # one per chat; the second ones must wait an hour
    assert sorted(delivery.delivered) == [("chat0", "0:0"), ("chat1", "1:0")]


async def test_messages_of_a_platform_that_is_down_wait_unclaimed(engine: AsyncEngine) -> None:
    await queue_messages(engine, chats=1, per_chat=2)
    async with SqlUnitOfWork(engine) as uow:
        await uow.outbox.add(
            [OutboundMessage(CustomerId(Platform.WECHAT, "o1"), Reply("wechat"))],
            now=now(),
            key="other-platform",
        )
        await uow.commit()
    down = {Platform.TELEGRAM.value}
    delivery = RecordingDelivery()
    d = Dispatcher(
        SqlOutboxQueue(engine),
        delivery,
        RecordingAlerts(),
        now,
        chat_interval={},
        held=lambda: frozenset(down),
    )
    assert await d.deliver_due() == 1  # the other platform's message goes
    assert delivery.delivered == [("o1", "wechat")]
    waiting = await SqlOutboxQueue(engine).listing()
    assert [m.text for m in waiting] == ["0:0", "0:1"] and {m.attempts for m in waiting} == {0}
    down.clear()  # back up
    assert await d.deliver_due() == 2
    assert delivery.delivered[1:] == [("chat0", "0:0"), ("chat0", "0:1")]


async def test_a_failed_message_is_reported_to_the_admins_in_chat(
    engine: AsyncEngine, calendar: WorkingCalendar
) -> None:
    uow = SqlUnitOfWork(engine)
    await admin.save_department(uow, code="it", name="IT", business=[], default=True)
    code, _ = await admin.invite(uow, name="admin", role=Role.ADMIN, department="it", now=now())
    desk = desk_service(engine, calendar)
    await desk.handle(
        Incoming(
            CustomerId(Platform.TELEGRAM, "9000"),
            Text(f"/register {code}"),
            Channel.PUBLIC_PLATFORM,
        ),
        now(),
    )
    await queue_messages(engine, chats=1, per_chat=1)
    delivery = RecordingDelivery()
    delivery.refusals = {"0:0": [Undeliverable("bot blocked")]}
    alerts = AdminAlerts(lambda: SqlUnitOfWork(engine), now)
    d = Dispatcher(
        SqlOutboxQueue(engine), delivery, alerts, now, chat_interval={}, quiet_prefix=KEY_PREFIX
    )
    await d.deliver_due()  # fails the message, queues the report, delivers the report
    [report] = [text for chat, text in delivery.delivered if chat == "9000"]
    assert "could not be delivered (undeliverable: bot blocked)" in report
    assert "intake outbox retry" in report
    await alerts.alert_admins(report.removeprefix("⚠️ "))  # the same problem, same day
    assert len(await SqlOutboxQueue(engine).listing()) == 1  # only the failed message


async def test_a_report_order_comes_back_from_the_outbox_as_it_was_queued(
    engine: AsyncEngine,
) -> None:
    order = ReportOrder(Period.quarter(2026, 4), "cards", "en")
    supervisor = ChatAddress(Platform.TELEGRAM, "9004")
    async with SqlUnitOfWork(engine) as uow:
        await uow.outbox.add(
            [
                OutboundMessage(supervisor, Reply("📊 Quarterly report 2026Q4"), report=order),
                OutboundMessage(supervisor, Reply("plain")),
            ],
            now=now(),
            key="report-1",
        )
        await uow.commit()
    claimed = await SqlOutboxQueue(engine).claim(now(), limit=10, lease=timedelta(seconds=30))
    assert [c.message.report for c in claimed] == [order]  # one chat: the oldest first
    assert claimed[0].message.recipient == supervisor
