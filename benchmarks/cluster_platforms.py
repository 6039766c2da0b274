"""The platforms' side of `benchmarks.cluster_load`: webhook requests as Telegram and
WeChat make them (retried until answered 200, sometimes redelivered on purpose), and
what the run records about them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from benchmarks.cluster_rig import (
    Nginx,
    PgCluster,
    Service,
)
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.doubles.wechat_platform import (
    DeliveryResult,
    PreparedRequest,
    ReplyError,
    WeChatPlatform,
)

WEBHOOK_SECRET = "cluster-load-webhook-secret-0123456789"
PLATFORM_TIMEOUT = {"telegram": 10.0, "wechat": 5.0}  # WeChat gives up after 5 s
GIVE_UP_AFTER = 180.0  # a platform that cannot deliver for this long: a lost message


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
