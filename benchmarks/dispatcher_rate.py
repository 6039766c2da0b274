"""Benchmark: the outbox dispatcher's sustained send rate to Telegram, and its pacing.

A Telegram Bot API double listens on loopback; the service's wiring (dispatcher and
Telegram polling, no scheduler) is built against it and a scratch database. M messages
spread over C chats are queued in the outbox first, then the wiring is started and the
clock runs until the double has received them all. Every figure comes from the
double's own arrival times (`sent_at`): the overall rate (the Bot API allows about 30
messages a second per bot), the most messages one chat got within any one second (the
per-chat limit: at most 1), the smallest gap between two messages to one chat, and
whether each chat got each of its messages exactly once, in the order queued.

    .venv/bin/python -m benchmarks.dispatcher_rate
    .venv/bin/python -m benchmarks.dispatcher_rate --database postgresql --messages 1200 --chats 120
    .venv/bin/python -m benchmarks.dispatcher_rate --smoke   # a few messages, seconds (CI)

It exits non-zero when a message is lost, doubled or reordered, or a chat gets more than
one message within a second; with `--smoke` the rate is shown but not judged (a few
messages measure the start-up more than the rate).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from benchmarks.service import scratch_database
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.identity import CustomerId, Platform
from intake.clock import system_clock
from intake.config import Settings
from intake.wiring import build
from storage.migrate import upgrade
from storage.outbox import SqlOutboxQueue
from storage.unit_of_work import SqlUnitOfWork
from tests.doubles.telegram_bot_api import BotApiDouble, SentMessage

FIRST_CHAT = 7_000_001
PG_NAME = "intake_bench_dispatch"
SMOKE = {"messages": 24, "chats": 8, "chat_interval": 1.0}
TARGET_RATE = 28.0  # messages a second, all chats together
WINDOW = timedelta(seconds=1)


@dataclass
class Result:
    queued: int
    received: int
    attempts: int
    startup: float  # seconds wiring.start() took
    elapsed: float  # from wiring.start() to the last message's arrival
    span: float  # from the first message's arrival to the last one's
    most_in_window: int  # most messages one chat got within any WINDOW
    busiest_second: int  # most messages, all chats together, within any WINDOW
    min_gap: float  # seconds, smallest gap between two messages to one chat
    exactly_once_in_order: bool
    left_in_outbox: int  # pending or failed after the run

    @property
    def rate(self) -> float:
        return self.received / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def steady_rate(self) -> float:
        return (self.received - 1) / self.span if self.span > 0 else 0.0


def text(chat: int, n: int) -> str:
    return f"Case update {n} for chat {chat}"


def plan(messages: int, chats: int) -> dict[int, list[str]]:
    """What each chat should get, in order: message i goes to chat i mod C."""
    expected: dict[int, list[str]] = {FIRST_CHAT + c: [] for c in range(chats)}
    for i in range(messages):
        chat = FIRST_CHAT + i % chats
        expected[chat].append(text(chat, len(expected[chat])))
    return expected


async def queue(unit_of_work: SqlUnitOfWork, messages: int, chats: int, now: datetime) -> None:
    """Queue the messages round-robin over the chats, in one transaction."""
    per_chat: dict[int, int] = {}
    outbound = []
    for i in range(messages):
        chat = FIRST_CHAT + i % chats
        n = per_chat.get(chat, 0)
        per_chat[chat] = n + 1
        recipient = CustomerId(Platform.TELEGRAM, str(chat))
        outbound.append(OutboundMessage(recipient, Reply(text(chat, n))))
    async with unit_of_work as uow:
        await uow.outbox.add(outbound, now=now, key=f"bench-dispatch-{now.isoformat()}")
        await uow.commit()


def most_within(sent: list[SentMessage], window: timedelta) -> int:
    """The most messages within any half-open window [t, t + window)."""
    times = sorted(m.sent_at for m in sent)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


async def wait_for_all(api: BotApiDouble, expected: dict[int, list[str]], limit: float) -> None:
    """Until every chat got as many messages as it is owed, or `limit` seconds passed
    (then the report shows what is missing)."""

    async def chat_done(chat: int, count: int) -> None:
        for _ in range(count):
            await api.wait_for_message(chat, timeout=limit + 5)

    try:
        async with asyncio.timeout(limit):
            await asyncio.gather(*(chat_done(c, len(texts)) for c, texts in expected.items()))
    except TimeoutError:
        pass


async def run(kind: str, messages: int, chats: int, interval: float) -> Result:
    expected = plan(messages, chats)
    async with scratch_database(kind, PG_NAME) as url, BotApiDouble() as api:
        settings = Settings(
            _env_file=None,
            database_url=url,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.root_url,
            telegram_chat_interval_seconds=interval,
            intake_scheduler="off",
        )
        wiring = build(settings, clock=system_clock)
        try:
            await upgrade(wiring.engine)
            await queue(wiring.unit_of_work(), messages, chats, system_clock())
            started = datetime.now(UTC)
            clock = time.perf_counter()
            await wiring.start()
            startup = time.perf_counter() - clock
            # Far more than the pacing needs: a stall shows as missing messages, not a hang.
            per_chat = -(-messages // chats)
            await wait_for_all(api, expected, limit=60 + 4 * (messages / 30 + per_chat))
            await asyncio.sleep(2 * interval + 0.5)  # would a message go out twice?
        finally:
            await wiring.stop()
            left = len(await SqlOutboxQueue(wiring.engine).listing())
            await wiring.close()
        sent = api.sent()
        arrivals = [m.sent_at for m in sent]
        gaps = [
            (b.sent_at - a.sent_at).total_seconds()
            for chat in expected
            for a, b in itertools.pairwise(api.sent(chat))
        ]
        return Result(
            queued=messages,
            received=len(sent),
            attempts=api.attempts("sendMessage"),
            startup=startup,
            elapsed=(max(arrivals) - started).total_seconds() if arrivals else 0.0,
            span=(max(arrivals) - min(arrivals)).total_seconds() if arrivals else 0.0,
            most_in_window=max((most_within(api.sent(c), WINDOW) for c in expected), default=0),
            busiest_second=most_within(sent, WINDOW),
            min_gap=min(gaps, default=float("nan")),
            exactly_once_in_order=all(
                [m.text for m in api.sent(chat)] == texts for chat, texts in expected.items()
            )
            and len(sent) == messages,
            left_in_outbox=left,
        )


def report(kind: str, chats: int, interval: float, result: Result) -> bool:
    """Print the figures; returns whether delivery and pacing were sound."""
    verdicts = [
        "rate OK" if result.rate >= TARGET_RATE else f"BELOW {TARGET_RATE:.0f}/s",
        "pacing OK" if result.most_in_window <= 1 else "PER-CHAT LIMIT EXCEEDED",
        "exactly once, in order" if result.exactly_once_in_order else "LOST, DOUBLED OR REORDERED",
    ]
    print(
        f"{kind:>10}: {result.received}/{result.queued} messages to {chats} chats "
        f"(chat interval {interval:g} s) in {result.elapsed:.2f} s -> {result.rate:.1f}/s "
        f"overall ({result.steady_rate:.1f}/s first to last send; start-up "
        f"{result.startup:.2f} s), busiest second {result.busiest_second}; "
        f"{result.attempts} sendMessage calls"
    )
    print(
        f"{'':>10}  per chat: at most {result.most_in_window} message(s) in any 1 s, "
        f"smallest gap {result.min_gap:.3f} s; left in outbox {result.left_in_outbox}; "
        f"{'; '.join(verdicts)}"
    )
    return result.exactly_once_in_order and result.most_in_window <= 1


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--chats", type=int, default=60)
    parser.add_argument(
        "--chat-interval", type=float, default=1.0, help="seconds between messages to one chat"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"{SMOKE['messages']} messages to {SMOKE['chats']} chats on both databases (CI)",
    )
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(SMOKE, database="both")
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    sound = True
    for kind in kinds:
        result = await run(kind, args.messages, args.chats, args.chat_interval)
        sound &= report(kind, args.chats, args.chat_interval, result)
    if not sound:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
