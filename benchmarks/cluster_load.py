"""Benchmark: four `intake serve` behind nginx on one PostgreSQL, through a kill -9 of one
process and a restart of the database, with platforms that redeliver.

Everything runs on this machine in a temp folder: a throwaway PostgreSQL cluster of its
own (initdb, port 55432, never the server on 5432), the Bot API double and the WeChat
platform double from the tests as loopback servers, four `intake serve` processes
(Telegram in webhook mode, WeChat in safe mode, the embedded scheduler and dispatcher)
and nginx in front of them. This process plays the platforms and the people: customers
walk complaint and suggestion dialogues over Telegram webhook updates and WeChat
messages, staff take, classify and resolve the cases with bot commands, and a share of
the webhooks is delivered again the way the platforms do (same update_id / MsgId, at
once or after the answer; anything not answered 200 in time is retried until it is).

Meanwhile one process is killed with SIGKILL and started again, and the database is
stopped and started, while `/healthz` of one process is polled directly (it must answer
503 while the database is away and 200 after). At the end, once the outbox is empty, the
database and the doubles are compared: every message queued arrived exactly once, every
finished dialogue is exactly one case. Exit code 1 on any loss or duplicate.

    .venv/bin/python -m benchmarks.cluster_load            # 5 minutes, 300 customers at once, 8 s apart
    .venv/bin/python -m benchmarks.cluster_load --smoke    # under a minute, as CI runs it
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from benchmarks.cluster_rig import (
    REPO,
    Nginx,
    PgCluster,
    Service,
    free_port,
    run_intake,
)
from bots.telegram.render import render as telegram_render
from bots.wechat.convert import as_text
from storage.outbox import _message as outbox_message
from storage.tables import OutboxRow
from tests.doubles.telegram_bot_api import BotApiDouble, SentMessage
from tests.doubles.wechat_platform import (
    DeliveryResult,
    PreparedRequest,
    ReplyError,
    WeChatApiServer,
    WeChatPlatform,
)

PROCESSES = 4
WEBHOOK_SECRET = "cluster-load-webhook-secret-0123456789"
WECHAT_TOKEN = "ClusterToken"
WECHAT_APP_ID = "wxcluster00000001"
WECHAT_SECRET = "cluster-app-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEAM_CHAT = -1001000000001
STAFF_IDS = range(900_001, 900_005)
CASE_NUMBER = re.compile(r"\b(?:CP|SG|PR)-\d{8}-\d{4}\b")
DESCRIPTION = "ATM 吞卡后网点无人处理，等待了一个多小时，希望尽快解决。"
# A dialogue, answer by answer; option numbers are typed (both channels take them): the
# menu, a business type, "online" (no INTAKE_BRANCHES), an e-channel, the description and
# on, for a complaint the outcome wanted, consent, name, phone, and submit.
SCRIPTS = {
    "complaint": [
        *("你好", "1", "5", "1", "1", DESCRIPTION, "1", "退卡", "1"),
        *("张三", "13812348000", "1"),
    ],
    "suggestion": ["你好", "2", "5", "1", "1", DESCRIPTION, "1", "1", "李四", "13912348000", "1"],
}
PLATFORM_TIMEOUT = {"telegram": 10.0, "wechat": 5.0}  # WeChat gives up after 5 s
KILL_WINDOW_S = 1.0  # how long before a kill -9 a send can still have been unrecorded
GIVE_UP_AFTER = 180.0  # a platform that cannot deliver for this long: a lost message
REPLY_WAIT = 120.0  # a customer waiting this long for an answer: a lost answer


class BotApi(BotApiDouble):
    """The Bot API double, and a wait for a chat's message count (not its read cursor)."""

    async def wait_for_count(self, chat_id: int, count: int, timeout: float) -> None:  # noqa: ASYNC109
        def probe() -> bool | None:
            return True if len(self.sent(chat_id)) >= count else None

        await self._wait(probe, timeout, lambda: f"{count} messages to {chat_id}")


@dataclass
class Request:
    """One webhook request this process made as a platform."""

    channel: str
    at: float  # monotonic
    latency: float
    status: int  # 0: timed out or the connection failed
    redelivery: bool


@dataclass
class Stats:
    requests: list[Request] = field(default_factory=list)
    accepted: set[str] = field(default_factory=set)  # delivery keys answered 200
    gave_up: list[str] = field(default_factory=list)
    redelivered: Counter[str] = field(default_factory=Counter)
    wechat_reply_mismatch: list[str] = field(default_factory=list)
    bad_replies: list[str] = field(default_factory=list)
    started: Counter[str] = field(default_factory=Counter)
    completed: dict[str, str] = field(default_factory=dict)  # case number -> customer
    stuck: list[str] = field(default_factory=list)
    reply_times: list[float] = field(default_factory=list)  # Telegram: update -> answer
    staff_done: dict[str, tuple[str, float]] = field(default_factory=dict)
    staff_failed: list[str] = field(default_factory=list)
    windows: list[tuple[str, float, float]] = field(default_factory=list)
    healthz: list[tuple[float, int]] = field(default_factory=list)
    healthz_ok: bool = False
    killed_at: float | None = None


@dataclass
class Rig:
    api: BotApi
    wechat: WeChatPlatform
    services: list[Service]
    nginx: Nginx
    pg: PgCluster
    session: aiohttp.ClientSession
    stats: Stats
    rng: random.Random
    redeliver_share: float
    stop_at: float = 0.0
    began: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.nginx.port}"


# ------------------------------------------------------------------ the platforms


async def _post_telegram(rig: Rig, update: dict[str, Any], redelivery: bool) -> int:
    started = time.monotonic()
    status = 0
    try:
        async with rig.session.post(
            f"{rig.base}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
            timeout=aiohttp.ClientTimeout(total=PLATFORM_TIMEOUT["telegram"]),
        ) as response:
            await response.read()
            status = response.status
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    rig.stats.requests.append(
        Request("telegram", started, time.monotonic() - started, status, redelivery)
    )
    return status


async def _post_wechat(
    rig: Rig, prepared: PreparedRequest, redelivery: bool
) -> DeliveryResult | None:
    started = time.monotonic()
    result: DeliveryResult | None = None
    status = 0
    try:
        result = await rig.wechat.deliver(prepared, timeout=PLATFORM_TIMEOUT["wechat"])
        status = 0 if result.timed_out else result.status
    except ReplyError as error:
        rig.stats.bad_replies.append(f"{prepared.msg_id}: {error}")
    except aiohttp.ClientError:
        status = 0
    rig.stats.requests.append(
        Request("wechat", started, time.monotonic() - started, status, redelivery)
    )
    return result if status == 200 else None


async def _until_accepted(rig: Rig, key: str, attempt: Any) -> Any:
    """Deliver until answered 200, as the platforms retry; None if it never was."""
    deadline = time.monotonic() + GIVE_UP_AFTER
    pause = 0.5
    first = True
    while True:
        result = await attempt(not first)
        if result is not None:
            rig.stats.accepted.add(key)
            return result
        first = False
        if time.monotonic() > deadline:
            rig.stats.gave_up.append(key)
            return None
        await asyncio.sleep(pause * (0.5 + rig.rng.random()))
        pause = min(pause * 2, 5.0)


def _redelivery_kind(rig: Rig) -> str | None:
    if rig.rng.random() >= rig.redeliver_share:
        return None
    return rig.rng.choice(("concurrent", "after"))


async def send_telegram(rig: Rig, update: dict[str, Any]) -> bool:
    """Deliver an update as Telegram does, sometimes twice; True once it was accepted."""
    key = f"telegram:{update['update_id']}"

    async def attempt(again: bool) -> bool | None:
        return True if await _post_telegram(rig, update, again) == 200 else None

    kind = _redelivery_kind(rig)
    if kind == "concurrent":
        rig.stats.redelivered["telegram concurrent"] += 1
        results = await asyncio.gather(
            _until_accepted(rig, key, attempt), _post_telegram(rig, update, True)
        )
        return results[0] is not None
    accepted = await _until_accepted(rig, key, attempt) is not None
    if accepted and kind == "after":
        rig.stats.redelivered["telegram after the answer"] += 1
        await _until_accepted(rig, key, attempt)
    return accepted


async def send_wechat(rig: Rig, prepared: PreparedRequest) -> str | None:
    """Deliver a message as WeChat does; the passive reply's text, None if never accepted."""
    key = f"wechat:{prepared.msg_id}"

    async def attempt(again: bool) -> DeliveryResult | None:
        return await _post_wechat(rig, prepared, again)

    kind = _redelivery_kind(rig)
    results: list[DeliveryResult | None]
    if kind == "concurrent":
        rig.stats.redelivered["wechat concurrent"] += 1
        results = list(
            await asyncio.gather(
                _until_accepted(rig, key, attempt), _post_wechat(rig, prepared, True)
            )
        )
    else:
        results = [await _until_accepted(rig, key, attempt)]
        if results[0] is not None and kind == "after":
            rig.stats.redelivered["wechat after the answer"] += 1
            results.append(await _until_accepted(rig, key, attempt))
    texts = {_reply_text(r) for r in results if r is not None}
    if len(texts) > 1:  # a redelivery must get the very reply the first delivery got
        rig.stats.wechat_reply_mismatch.append(key)
    return _reply_text(results[0]) if results[0] is not None else None


def _reply_text(result: DeliveryResult) -> str:
    return (result.reply.content or "") if result.reply is not None else ""


# ------------------------------------------------------------------ the people


async def telegram_says(rig: Rig, user: int, text: str) -> list[SentMessage] | None:
    """Send a text and wait for the service's answer; the messages that came."""
    seen = len(rig.api.sent(user))
    sent_at = time.monotonic()
    if not await send_telegram(rig, rig.api.user_text(user, text, enqueue=False)):
        return None
    try:
        await rig.api.wait_for_count(user, seen + 1, REPLY_WAIT)
    except TimeoutError:
        return None
    rig.stats.reply_times.append(time.monotonic() - sent_at)
    return rig.api.sent(user)[seen:]


async def _think(rig: Rig, think: float) -> None:
    await asyncio.sleep(think * (0.5 + rig.rng.random()))


async def telegram_customer(rig: Rig, user: int, kind: str, think: float, cases: Any) -> None:
    rig.stats.started[f"telegram {kind}"] += 1
    script = SCRIPTS[kind]
    for step, text in enumerate(script):
        answer = await telegram_says(rig, user, text)
        if answer is None:
            rig.stats.stuck.append(f"telegram:{user} at step {step}")
            return
        if step < len(script) - 1:
            await _think(rig, think)
    # The confirmation may follow the answer it came with: read until the number shows.
    deadline = time.monotonic() + REPLY_WAIT
    while time.monotonic() < deadline:
        for message in rig.api.sent(user):
            found = CASE_NUMBER.search(message.text or "")
            if found:
                rig.stats.completed[found.group(0)] = f"telegram:{user}"
                await cases.put((found.group(0), kind))
                return
        with contextlib.suppress(TimeoutError):
            await rig.api.wait_for_count(user, len(rig.api.sent(user)) + 1, 5)
    rig.stats.stuck.append(f"telegram:{user} without a case number")


async def wechat_customer(rig: Rig, openid: str, kind: str, think: float, cases: Any) -> None:
    rig.stats.started[f"wechat {kind}"] += 1
    script = SCRIPTS[kind]
    reply = ""
    for step, text in enumerate(script):
        answer = await send_wechat(rig, rig.wechat.build_text(openid, text))
        if answer is None:
            rig.stats.stuck.append(f"wechat:{openid} at step {step}")
            return
        reply = answer
        if step < len(script) - 1:
            await _think(rig, think)
    found = CASE_NUMBER.search(reply)
    if found is None:  # did not fit the passive reply: it follows as a push
        deadline = time.monotonic() + REPLY_WAIT
        while found is None and time.monotonic() < deadline:
            for message in rig.wechat.api.custom_messages(openid):
                found = found or CASE_NUMBER.search(message.text or "")
            if found is None:
                await asyncio.sleep(1)
    if found is None:
        rig.stats.stuck.append(f"wechat:{openid} without a case number: {reply[:80]!r}")
        return
    rig.stats.completed[found.group(0)] = f"wechat:{openid}"
    await cases.put((found.group(0), kind))


async def customer_slot(rig: Rig, slot: int, think: float, cases: Any) -> None:
    """One customer after another, each filing one case, until the load phase ends."""
    serial = 0
    while time.monotonic() < rig.stop_at:
        serial += 1
        kind = "complaint" if rig.rng.random() < 0.6 else "suggestion"
        if slot % 2 == 0:
            await telegram_customer(rig, 10_000_000 + slot * 10_000 + serial, kind, think, cases)
        else:
            openid = f"oCluster{slot:04d}x{serial:05d}"
            await wechat_customer(rig, openid, kind, think, cases)
        await _think(rig, think)


async def staff_member(rig: Rig, user: int, cases: Any) -> None:
    """Takes the cases as they are filed and answers them, until the load phase ends."""
    while time.monotonic() < rig.stop_at:
        try:
            number, kind = await asyncio.wait_for(cases.get(), 2)
        except TimeoutError:
            continue
        if kind == "complaint":
            commands = [
                f"/take {number}",
                f"/classify {number} 2",
                f"/resolve {number} 处理结果：{number} 银行卡已找回，请到网点领取。",
            ]
        else:
            commands = [f"/take {number}", f"/adopt {number}"]
        for command in commands:
            if await telegram_says(rig, user, command) is None:
                rig.stats.staff_failed.append(f"{number}: {command}")
                break
        else:
            rig.stats.staff_done[number] = (kind, time.monotonic())


# ------------------------------------------------------------------ the trouble


async def kill_and_restart(rig: Rig, at: float, down_for: float, start: float) -> None:
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    victim = rig.services[1]
    began = time.monotonic()
    await victim.kill()
    rig.stats.killed_at = began
    print(f"  {began - start:6.1f} s: intake serve #{victim.index} killed (SIGKILL)", flush=True)
    await asyncio.sleep(down_for)
    while True:  # as a supervisor does: again, until it stays up
        await victim.start()
        try:
            await victim.wait_healthy(rig.session, timeout=120)
            break
        except RuntimeError:
            await asyncio.sleep(1)
    back = time.monotonic()
    print(f"  {back - start:6.1f} s: intake serve #{victim.index} up again", flush=True)
    rig.stats.windows.append(("kill -9", began, back + 5))


async def make_trouble(rig: Rig, duration: float, down_for: float, start: float) -> None:
    """One after the other, so that the restarted process does not meet a database away."""
    await kill_and_restart(rig, duration * 0.2, down_for, start)
    await restart_database(rig, max(duration * 0.55, time.monotonic() - start + 3), down_for, start)


async def restart_database(rig: Rig, at: float, down_for: float, start: float) -> None:
    await asyncio.sleep(max(0.0, start + at - time.monotonic()))
    watched = rig.services[0]
    polling = asyncio.create_task(_poll_healthz(rig, watched))
    began = time.monotonic()
    try:
        await asyncio.to_thread(rig.pg.stop)
        print(f"  {time.monotonic() - start:6.1f} s: PostgreSQL stopped", flush=True)
        await asyncio.sleep(down_for)
        restarted = time.monotonic()
        await asyncio.to_thread(rig.pg.start)
        print(f"  {time.monotonic() - start:6.1f} s: PostgreSQL started", flush=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _healthz_back(rig.stats, restarted):  # noqa: ASYNC110
            await asyncio.sleep(0.2)  # the poller's answers, appended by another task
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
    statuses = [s for t, s in rig.stats.healthz if t >= began]
    down = [s for t, s in rig.stats.healthz if began + 1 < t < restarted]
    rig.stats.healthz_ok = bool(down) and all(s == 503 for s in down) and statuses[-1] == 200
    rig.stats.windows.append(("PostgreSQL restart", began, time.monotonic() + 5))
    print(
        f"  /healthz of #{watched.index}: {Counter(down)} while the database was away, "
        f"{statuses[-1] if statuses else None} after",
        flush=True,
    )


def _healthz_back(stats: Stats, since: float) -> bool:
    return any(t > since and status == 200 for t, status in stats.healthz)


async def _poll_healthz(rig: Rig, service: Service) -> None:
    url = f"http://127.0.0.1:{service.port}/healthz"
    while True:
        try:
            async with rig.session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                await response.read()
                rig.stats.healthz.append((time.monotonic(), response.status))
        except (TimeoutError, aiohttp.ClientError):
            rig.stats.healthz.append((time.monotonic(), 0))
        await asyncio.sleep(0.25)


# ------------------------------------------------------------------ set-up


def service_env(
    rig_folder: Path, pg: PgCluster, api: BotApi, wx: WeChatApiServer, port: int
) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO)
        + (":" + os.environ["PYTHONPATH"] if "PYTHONPATH" in os.environ else ""),
        "PTB_TIMEDELTA": "true",
        "DATABASE_URL": pg.url,
        "INTAKE_HTTP_HOST": "127.0.0.1",
        "INTAKE_LOG_LEVEL": "WARNING",
        "INTAKE_SCHEDULER": "embedded",
        "INTAKE_REPORTS_DIR": str(rig_folder / "reports"),
        "INTAKE_WEB_TOKEN_KEY": "cluster-load-web-token-key-0123456789abcdef",
        # A killed process's claimed messages go out once this lease has run out.
        "INTAKE_OUTBOX_LEASE_SECONDS": "20",
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.root_url,
        "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # Hundreds of cases a minute are announced in one team chat: the real limit of
        # one message a second per chat would queue them for longer than the run.
        "TELEGRAM_CHAT_INTERVAL_SECONDS": "0.05",
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_SECRET,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE_URL": wx.base_url,
    }


async def set_up_desk(rig: Rig, env: dict[str, str], folder: Path) -> None:
    """A default department announcing in a team chat, and staff registered on Telegram."""
    await run_intake(
        "department",
        "add",
        "desk",
        "--name",
        "客服中心",
        "--business",
        "",
        "--default",
        env=env,
        cwd=folder,
    )
    await run_intake("department", "set-chat", "desk", f"telegram:{TEAM_CHAT}", env=env, cwd=folder)
    for n, user in enumerate(STAFF_IDS, 1):
        out = await run_intake(
            "staff",
            "invite",
            "--name",
            f"坐席{n}",
            "--role",
            "lead",
            "--department",
            "desk",
            env=env,
            cwd=folder,
        )
        code = out.split()[0]
        answer = await telegram_says(rig, user, f"/register {code}")
        if answer is None or "注册成功" not in (answer[0].text or ""):
            raise RuntimeError(f"staff {user} could not register: {answer}")


# ------------------------------------------------------------------ the checks


async def check(rig: Rig, drain_timeout: float) -> dict[str, Any]:
    """Wait for the outbox to drain, then compare the database with the doubles."""
    dsn = rig.pg.url.replace("postgresql+asyncpg", "postgresql")
    db = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + drain_timeout
        while True:
            pending = await db.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'")
            if pending == 0 or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        await asyncio.sleep(2)  # the last sends' answers are recorded by the doubles
        rows = await db.fetch(
            "SELECT platform, address, to_customer, payload, status FROM outbox ORDER BY id"
        )
        cases = await db.fetch(
            "SELECT number, type, status, customer_platform, customer_user_id FROM cases"
        )
        deliveries = await db.fetchval(
            "SELECT count(*) FROM deliveries WHERE key LIKE 'telegram:%' OR key LIKE 'wechat:%'"
        )
    finally:
        await db.close()

    expected: dict[tuple[str, str], Counter[str]] = {}
    not_sent = Counter(r["status"] for r in rows if r["status"] != "sent")
    for r in rows:
        for text in _as_sent(r):
            expected.setdefault((r["platform"], r["address"]), Counter())[text] += 1
    arrived: dict[tuple[str, str], Counter[str]] = {}
    when: dict[tuple[str, str, str], list[float]] = {}  # seconds into the load
    for m in rig.api.sent():
        arrived.setdefault(("telegram", str(m.chat_id)), Counter())[m.text or ""] += 1
        when.setdefault(("telegram", str(m.chat_id), m.text or ""), []).append(m.clock)
    wall = time.time() - time.monotonic()
    for c in rig.wechat.api.custom_messages():
        arrived.setdefault(("wechat", c.openid), Counter())[c.text or ""] += 1
        when.setdefault(("wechat", c.openid, c.text or ""), []).append(c.at - wall)
    losses = duplicates = in_kill_window = 0
    examples: list[str] = []
    for chat in expected.keys() | arrived.keys():
        want, got = expected.get(chat, Counter()), arrived.get(chat, Counter())
        missing, extra = want - got, got - want
        losses += sum(missing.values())
        for text in list(missing)[:1]:
            examples.append(f"lost to {chat}: {text[:60]!r}")
        for text, n in extra.items():
            times = when[(*chat, text)]
            if n == 1 and _sent_as_killed(rig.stats.killed_at, times):
                in_kill_window += 1
            else:
                duplicates += n
            shown = ", ".join(f"{t - rig.began:.1f}" for t in times)
            examples.append(f"twice to {chat} at {shown} s: {text[:50]!r}")

    per_customer = Counter(f"{c['customer_platform']}:{c['customer_user_id']}" for c in cases)
    numbers = {c["number"] for c in cases}
    completed = rig.stats.completed
    pushes_missing = [
        number
        for number, (_kind, _at) in rig.stats.staff_done.items()
        if not _pushed(rig, completed[number], number)
    ]
    return {
        "outbox": len(rows),
        "not_sent": dict(not_sent),
        "losses": losses,
        "duplicates": duplicates,
        "in_kill_window": in_kill_window,
        "examples": examples[:10],
        "cases": len(cases),
        "case_status": dict(Counter(c["status"] for c in cases)),
        "cases_twice": sorted(k for k, n in per_customer.items() if n > 1),
        "completed_without_case": sorted(set(completed) - numbers),
        "cases_without_dialogue": len(numbers - set(completed)),
        "deliveries": deliveries,
        "pushes_missing": pushes_missing,
    }


def _sent_as_killed(killed_at: float | None, times: list[float]) -> bool:
    """A message the killed process had sent, the platform accepted, and it died before
    recording: sent again after its lease. No sender can close that window (the Bot API
    and WeChat take no idempotency key; README: "Exactly once")."""
    if killed_at is None or len(times) != 2:
        return False
    return killed_at - KILL_WINDOW_S <= times[0] <= killed_at + 0.1 < times[1]


def _as_sent(row: asyncpg.Record) -> list[str]:
    """The texts an outbox row becomes on its platform, rendered as the channel does."""
    payload = row["payload"]
    stored = OutboxRow(
        platform=row["platform"],
        address=row["address"],
        to_customer=row["to_customer"],
        payload=payload if isinstance(payload, dict) else json.loads(payload),
        idempotency_key="",
    )
    reply = outbox_message(stored).reply
    if row["platform"] == "telegram":
        return [piece.text for piece in telegram_render(reply)]
    return [as_text([reply])]


def _pushed(rig: Rig, customer: str, number: str) -> bool:
    platform, _, user = customer.partition(":")
    if platform == "telegram":
        texts = [m.text or "" for m in rig.api.sent(int(user))]
    else:
        texts = [m.text or "" for m in rig.wechat.api.custom_messages(user)]
    # The filing's confirmation names the number too: a push is a second message.
    return sum(number in t for t in texts) >= 2


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def summarize(rig: Rig, result: dict[str, Any], elapsed: float) -> bool:
    s = rig.stats
    first = [r for r in s.requests if not r.redelivery]
    ok = [r.latency for r in first if r.status == 200]
    in_window = [r for r in s.requests if any(a <= r.at <= b for _, a, b in s.windows)]
    bad_in_window = sum(r.status != 200 for r in in_window)
    bad = sum(r.status != 200 for r in s.requests)
    by_status = Counter(r.status for r in s.requests if r.status != 200)
    per_channel = Counter(r.channel for r in first)
    print(f"\nload: {elapsed:.0f} s, {sum(s.started.values())} dialogues started {dict(s.started)}")
    print(
        f"  webhooks: {len(first)} messages in ({dict(per_channel)}), "
        f"{len(s.requests)} requests with redeliveries and retries; accepted {len(s.accepted)}, "
        f"recorded as handled in the database {result['deliveries']}; given up {len(s.gave_up)}"
    )
    print(
        f"  redelivered on purpose: {dict(s.redelivered)}; WeChat redeliveries answered "
        f"differently {len(s.wechat_reply_mismatch)}; malformed replies {len(s.bad_replies)}"
    )
    print(
        f"  latency of first deliveries answered 200: p50 {percentile(ok, 0.5):.1f} ms, "
        f"p99 {percentile(ok, 0.99):.1f} ms; Telegram answer at the Bot API (update to "
        f"sendMessage): p50 {percentile(s.reply_times, 0.5):.0f} ms, "
        f"p99 {percentile(s.reply_times, 0.99):.0f} ms"
    )
    print(
        f"  error budget: {bad} of {len(s.requests)} requests not answered 200 "
        f"({bad / max(1, len(s.requests)):.2%}; {dict(by_status)}, 0 = timeout or refused), "
        f"{bad_in_window} of {len(in_window)} inside the kill/restart windows "
        f"({bad_in_window / max(1, len(in_window)):.2%}); every one retried until accepted"
        if not s.gave_up
        else f"  error budget: {bad} non-200, {len(s.gave_up)} NEVER accepted"
    )
    print(
        f"  cases filed {result['cases']} ({result['case_status']}) = dialogues completed "
        f"{len(s.completed)}; stuck dialogues {len(s.stuck)}; completed without a case "
        f"{len(result['completed_without_case'])}; customers with two cases "
        f"{len(result['cases_twice'])}"
    )
    print(
        f"  staff: {len(s.staff_done)} cases answered with bot commands "
        f"({len(s.staff_failed)} commands unanswered); results pushed to the customer: "
        f"{len(s.staff_done) - len(result['pushes_missing'])}"
    )
    print(
        f"  out: {result['outbox']} messages queued, not sent {result['not_sent'] or 0}; "
        f"{len(rig.api.sent())} sendMessage at the Bot API double, "
        f"{len(rig.wechat.api.custom_messages())} customer-service messages at the WeChat "
        f"API double; lost {result['losses']}, duplicated {result['duplicates']}"
        f" (and {result['in_kill_window']} sent in the instant the process was killed, again "
        f"after its lease)"
    )
    print(f"  /healthz during the database restart: {'503 then 200' if s.healthz_ok else 'WRONG'}")
    for example in result["examples"] + s.stuck[:5] + s.staff_failed[:5] + s.bad_replies[:3]:
        print(f"    {example}")
    failed = (
        result["losses"]
        or result["duplicates"]
        or result["not_sent"]
        or result["cases_twice"]
        or result["completed_without_case"]
        or result["pushes_missing"]
        or s.gave_up
        or s.stuck
        or s.wechat_reply_mismatch
        or s.bad_replies
        or not s.healthz_ok
    )
    print("RESULT: FAILED" if failed else "RESULT: OK, nothing lost, nothing twice")
    return not failed


# ------------------------------------------------------------------ the run


async def run(args: argparse.Namespace) -> bool:
    folder = Path(tempfile.mkdtemp(prefix="intake-cluster-"))
    # PostgreSQL (as postgres) and nginx's workers (as nobody) work in folders below.
    os.chmod(folder, 0o755)  # noqa: S103
    stack = contextlib.AsyncExitStack()
    try:
        async with stack:
            return await _run(args, folder, stack)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


async def _run(args: argparse.Namespace, folder: Path, stack: contextlib.AsyncExitStack) -> bool:
    duration = args.minutes * 60
    pg = PgCluster(folder / "pg")
    stack.callback(pg.destroy)
    await asyncio.to_thread(pg.create)
    api = BotApi()
    await stack.enter_async_context(api)
    wx_api = await stack.enter_async_context(
        WeChatApiServer(WECHAT_APP_ID, WECHAT_SECRET, now=time.time)
    )
    nginx_port = free_port()
    env = service_env(folder, pg, api, wx_api, nginx_port)
    await run_intake("db", "upgrade", env=env, cwd=folder)
    services = [Service(i, free_port(), env, folder) for i in range(1, PROCESSES + 1)]
    nginx = Nginx(folder / "nginx", nginx_port, [s.port for s in services])
    session = await stack.enter_async_context(
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    )
    wechat = await stack.enter_async_context(
        WeChatPlatform(
            f"http://127.0.0.1:{nginx_port}/wechat",
            token=WECHAT_TOKEN,
            app_id=WECHAT_APP_ID,
            app_secret=WECHAT_SECRET,
            encoding_aes_key=AES_KEY,
            api=wx_api,
            now=time.time,
        )
    )
    rig = Rig(
        api, wechat, services, nginx, pg, session, Stats(), random.Random(args.seed), args.redeliver
    )
    for service in services:
        stack.push_async_callback(service.stop)
        await service.start()
    stack.push_async_callback(nginx.stop)
    await nginx.start()
    await asyncio.gather(*(s.wait_healthy(session, timeout=120) for s in services))
    await set_up_desk(rig, env, folder)
    print(
        f"cluster: PostgreSQL on 127.0.0.1:{pg.port}, {PROCESSES} x intake serve on "
        f"{[s.port for s in services]}, nginx on {nginx_port}; {args.customers} customers at "
        f"once for {duration:.0f} s",
        flush=True,
    )

    cases: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    start = rig.began = time.monotonic()
    rig.stop_at = start + duration
    people = [
        asyncio.create_task(customer_slot(rig, slot, args.think, cases))
        for slot in range(args.customers)
    ]
    people += [asyncio.create_task(staff_member(rig, user, cases)) for user in STAFF_IDS]
    trouble = [asyncio.create_task(make_trouble(rig, duration, args.down, start))]
    try:
        await asyncio.gather(*trouble)
        await asyncio.gather(*people)
    finally:
        for task in people + trouble:
            task.cancel()
        await asyncio.gather(*people, *trouble, return_exceptions=True)
    elapsed = time.monotonic() - start
    result = await check(rig, drain_timeout=180)
    return summarize(rig, result, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the load")
    parser.add_argument("--customers", type=int, default=300, help="customers at once")
    parser.add_argument("--think", type=float, default=8.0, help="seconds between answers")
    parser.add_argument("--redeliver", type=float, default=0.1, help="share redelivered")
    parser.add_argument("--down", type=float, default=8.0, help="seconds a process/PG is down")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs)")
    parser.add_argument("--smoke", action="store_true", help="under a minute, as CI runs it")
    args = parser.parse_args()
    if args.smoke:
        args.minutes, args.customers, args.think, args.down = 0.75, 40, 2.0, 4.0
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(run(args))
    # SIGTERM like Ctrl-C: cancel the run, so that everything it started is stopped.
    loop.add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        ok = loop.run_until_complete(main_task)
    except KeyboardInterrupt:
        main_task.cancel()
        with contextlib.suppress(BaseException):
            loop.run_until_complete(main_task)
        raise SystemExit(130) from None
    except asyncio.CancelledError:
        raise SystemExit(143) from None
    finally:
        loop.close()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
