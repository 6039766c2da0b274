"""Load for the dialogue-step benchmark: customers walking a complaint over WeChat.

Each simulated customer is new, walks the whole complaint dialogue (greeting, type,
business, branch, channel, description, outcome, consent, name, phone, review, submit)
and is then replaced by the next one. Every answer is checked: a non-200 status, a reply
addressed to someone else, or a reply that is not the expected step's question counts
as an error. The same load shapes drive the bare server (`benchmarks.bare_step`), whose
answers are checked only for the status and the addressee.

Two shapes: a closed loop (N connections, each sends its next message when the previous
one is answered: it measures capacity) and an open loop (the i-th message leaves at
start + i/rate whatever happened to earlier ones: slow answers show as latency).
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp

from benchmarks.bare_step import customer_id
from benchmarks.wechat_messages import WALK, signed_request

_TO = re.compile(r"<ToUserName><!\[CDATA\[([^\]]*)\]\]></ToUserName>")
_CASE = re.compile(r"受理编号：(CP-\d{8}-\d{4})")


@dataclass
class Message:
    openid: str
    text: str
    msg_id: int
    expect: str | None  # None: any reply to the right customer will do (the bare server)


@dataclass
class Tally:
    """What one load run saw."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)  # numbers of the cases filed
    elapsed: float = 0.0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(what[:300])

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.error_samples += other.error_samples[: 3 - len(self.error_samples)]
        self.cases += other.cases
        self.elapsed += other.elapsed

    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0

    def line(self) -> str:
        n, rate = len(self.latencies), self.rate()
        worst = max(self.latencies, default=0.0) * 1000
        return (
            f"{rate:6.1f} req/s  p50 {self.pct(0.5):6.1f} ms  p99 {self.pct(0.99):6.1f} ms  "
            f"max {worst:6.1f} ms  ({n} requests, errors {self.errors})"
        )


class Customers:
    """Fresh customers walking the complaint; `walking` of them at once, round robin."""

    def __init__(self, walking: int, dialogue: bool, first_id: int = 1) -> None:
        self._dialogue = dialogue
        self._ids = itertools.count(first_id)
        self._msg_ids = itertools.count(first_id * 1000)
        self._walks = [self._walk() for _ in range(walking)]
        self._turn = itertools.cycle(range(walking))

    def _walk(self) -> Iterator[Message]:
        n = next(self._ids)
        # The bare server knows only the customers it seeded; the service takes anyone.
        openid = f"oStep{n:07d}" if self._dialogue else customer_id(n % 2000)
        for text, expect in WALK:
            yield Message(openid, text, next(self._msg_ids), expect if self._dialogue else None)

    def lead_in(self) -> list[list[Message]]:
        """For walk i, its first i mod 12 messages, taken off it. Sent before a run (see
        `walk_in`), they leave the walks spread evenly over the dialogue's steps, as
        customers who came one after another are: otherwise every walk is at the same
        step at once, and every 24 s all of them file their case in the same 2 s."""
        return [[next(walk) for _ in range(i % len(WALK))] for i, walk in enumerate(self._walks)]

    def next(self, walk: int | None = None) -> Message:
        """The next message of walk `walk` (round robin when None)."""
        i = next(self._turn) if walk is None else walk
        message = next(self._walks[i], None)
        if message is None:
            self._walks[i] = self._walk()
            message = next(self._walks[i])
        return message


async def send(
    session: aiohttp.ClientSession, url: str, message: Message, tally: Tally, *, copies: int = 1
) -> None:
    """Send the message (`copies` times at once: a redelivery racing the first) and check
    the answer; every copy must get the very same answer."""
    query, body = signed_request(message.openid, message.text, message.msg_id, False)
    sent = time.perf_counter()
    try:
        answers = await asyncio.gather(*(_post(session, url, query, body) for _ in range(copies)))
    except (aiohttp.ClientError, TimeoutError) as failure:
        tally.latencies.append(time.perf_counter() - sent)
        tally.error(f"{type(failure).__name__}: {failure}")
        return
    tally.latencies.append(time.perf_counter() - sent)
    status, text = answers[0]
    if status != 200:
        tally.error(f"status {status}: {text}")
    elif any(answer != answers[0] for answer in answers[1:]):
        tally.error(f"redelivery answered differently: {answers}")
    elif (to := _TO.search(text)) is None or to.group(1) != message.openid:
        tally.error(f"reply not addressed to {message.openid}: {text}")
    elif message.expect is not None and message.expect not in text:
        tally.error(f"{message.text!r} answered without {message.expect!r}: {text}")
    elif (case := _CASE.search(text)) is not None:
        tally.cases.append(case.group(1))


async def _post(
    session: aiohttp.ClientSession, url: str, query: dict[str, str], body: bytes
) -> tuple[int, str]:
    async with session.post(url, params=query, data=body) as response:
        return response.status, await response.text()


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=aiohttp.ClientTimeout(total=60)
    )


async def closed_loop(
    url: str,
    customers: Customers,
    *,
    connections: int,
    seconds: float,
    redeliver_every: int = 0,
) -> Tally:
    """`connections` senders, each with its own customers, for `seconds`. With
    `redeliver_every` N, every N-th message goes out twice at once (WeChat's retry)."""
    tally = Tally()
    counter = itertools.count(1)
    async with _session() as session:
        deadline = time.perf_counter() + seconds

        async def sender(walk: int) -> None:
            while time.perf_counter() < deadline:
                copies = 2 if redeliver_every and next(counter) % redeliver_every == 0 else 1
                await send(session, url, customers.next(walk), tally, copies=copies)

        start = time.perf_counter()
        await asyncio.gather(*(sender(w) for w in range(connections)))
        tally.elapsed = time.perf_counter() - start
    return tally


async def walk_in(url: str, customers: Customers, *, connections: int = 32) -> Tally:
    """Send `customers.lead_in()`, each walk's in order, `connections` walks at a time."""
    tally = Tally()
    leads = iter(customers.lead_in())
    async with _session() as session:

        async def sender() -> None:
            for lead in leads:
                for message in lead:
                    await send(session, url, message, tally)

        await asyncio.gather(*(sender() for _ in range(connections)))
    return tally


async def open_loop(url: str, customers: Customers, *, rate: float, seconds: float) -> Tally:
    """Messages at `rate` per second for `seconds`, on schedule whatever the answers.
    This process's own garbage collector is held meanwhile: its full collections
    (~70 ms here) would be timed as the server's latency."""
    tally = Tally()
    total = int(rate * seconds)
    gc.disable()
    try:
        await _open_loop(url, customers, tally, rate=rate, total=total)
    finally:
        gc.enable()
    return tally


async def _open_loop(
    url: str, customers: Customers, tally: Tally, *, rate: float, total: int
) -> None:
    async with _session() as session:
        start = time.perf_counter()
        tasks: list[asyncio.Task[None]] = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(session, url, customers.next(), tally)))
        await asyncio.gather(*tasks)
        tally.elapsed = time.perf_counter() - start


# How many customers walk at once in the open loop: each writes every `walking / rate` s.
def walking_for(rate: float, gap_s: float = 2.0) -> int:
    return max(1, int(rate * gap_s))
