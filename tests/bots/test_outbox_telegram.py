"""Delivering the outbox to the Bot API double: outages, 429s, and a crash."""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.identity import CustomerId, Platform
from storage.outbox import SqlOutboxQueue
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.telegram_support import Desk, ticking_from
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble, Fault, SentMessage
from tests.factories import at
from tests.processes import start_intake

CHATS = (7001, 7002, 7003)


async def queue(engine: AsyncEngine, per_chat: int, now: datetime) -> None:
    async with SqlUnitOfWork(engine) as uow:
        for n in range(per_chat):
            await uow.outbox.add(
                [
                    OutboundMessage(CustomerId(Platform.TELEGRAM, str(chat)), Reply(f"{chat}#{n}"))
                    for chat in CHATS
                ],
                now=now,
                key=f"test-{n}",
            )
        await uow.commit()


def check_delivery(api: BotApiDouble, per_chat: int, spacing: timedelta) -> None:
    """Each chat got each message once, in order, never two within `spacing`."""
    for chat in CHATS:
        sent: list[SentMessage] = api.sent(chat)
        assert [m.text for m in sent] == [f"{chat}#{n}" for n in range(per_chat)]
        gaps = [b.sent_at - a.sent_at for a, b in itertools.pairwise(sent)]
        assert all(gap >= spacing * 0.95 for gap in gaps), gaps


async def test_an_outage_then_429s_then_recovery(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    start = at("2026-11-02 10:00")
    await queue(engine, per_chat=4, now=start)
    telegram_api.fail_next("sendMessage", 502, times=3)
    telegram_api.throttle("sendMessage", retry_after=1, times=2)
    desk = Desk(database_url(tmp_path), telegram_api, ticking_from(start))
    await desk.start(telegram_chat_interval_seconds=0.2, intake_outbox_backoff_seconds=0.1)
    try:
        for chat in CHATS:
            for _ in range(4):
                await telegram_api.wait_for_message(chat, timeout=30)
    finally:
        await desk.stop()
    check_delivery(telegram_api, 4, timedelta(seconds=0.2))
    assert telegram_api.attempts("sendMessage") == 12 + 3 + 2
    assert await SqlOutboxQueue(engine).listing() == []


async def test_a_killed_service_delivers_everything_once_after_restart(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    await queue(engine, per_chat=5, now=datetime.now(UTC))
    env = {
        "DATABASE_URL": database_url(tmp_path),
        "INTAKE_HTTP_PORT": "0",
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_API_BASE_URL": telegram_api.root_url,
        "TELEGRAM_CHAT_INTERVAL_SECONDS": "0.1",
        "INTAKE_OUTBOX_LEASE_SECONDS": "1",
    }

    async def serve() -> asyncio.subprocess.Process:
        return await start_intake("serve", cwd=tmp_path, env=env)

    # Six sends go through; the 7th stalls at the platform, and the service dies waiting.
    telegram_api.script("sendMessage", *[Fault(status=None)] * 6, Fault(status=None, delay=60))
    first = await serve()
    try:
        await telegram_api.wait_for_arrivals("sendMessage", 7, timeout=30)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    finally:
        if first.returncode is None:
            first.kill()
    assert len(telegram_api.sent()) == 6

    second = await serve()
    try:
        for chat in CHATS:
            while len(telegram_api.sent(chat)) < 5:
                await telegram_api.wait_for_message(chat, timeout=30)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 15)
    check_delivery(telegram_api, 5, timedelta(seconds=0.1))
    counts: dict[str, int] = defaultdict(int)
    for message in telegram_api.sent():
        counts[message.text or ""] += 1
    assert set(counts.values()) == {1} and len(counts) == 15
