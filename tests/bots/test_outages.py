"""A platform outage delays a channel, never disables it: the Bot API down, stalling and
back at start and while polling; setWebhook stalled in webhook mode; WeChat's token
endpoint unreachable, then refusing, then back."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bots.supervisor import ChannelState
from bots.telegram.webhook import AUTH_HEADER, PATH
from core.channel.io import Reply
from core.channel.outbox import OutboundMessage
from core.identity import CustomerId, Platform
from intake.config import Settings
from intake.server import build_web_app
from intake.wiring import build
from storage.outbox import SqlOutboxQueue
from storage.tables import OutboxRow
from storage.unit_of_work import SqlUnitOfWork
from tests.bots.conftest import free_port
from tests.bots.telegram_support import ALICE, BOB, NOW, Desk, ticking_from
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.doubles.wechat_platform import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_TOKEN,
    WeChatPlatform,
)
from tests.processes import PIPE, LogWatch, start_intake


def retrying(channel: str, *, retries: int = 1, error: str = "") -> Any:
    """Matches the log line of a failed attempt to reach the platform."""

    def matches(entry: dict[str, Any]) -> bool:
        return (
            entry.get("channel") == channel
            and entry["msg"].startswith(f"{channel} channel cannot reach its platform")
            and entry["retries"] >= retries
            and error in entry["error"]
        )

    return matches


async def health(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as response:
        assert response.status == 200  # the database answers: a platform outage is no 503
        body: dict[str, Any] = await response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    return body


async def test_intake_serve_rides_out_a_bot_api_outage(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    await telegram_api.refuse_connections()
    telegram_api.user_text(ALICE, "/start", "en")  # a customer writes during the outage
    env = {
        "DATABASE_URL": database_url(tmp_path),
        "INTAKE_HTTP_PORT": "0",
        "TELEGRAM_BOT_TOKEN": telegram_api.token,
        "TELEGRAM_API_BASE_URL": telegram_api.root_url,
        "INTAKE_CHANNEL_RETRY_SECONDS": "0.05",
        "TELEGRAM_TIMEOUT_SECONDS": "0.5",
    }
    process = await start_intake("serve", cwd=tmp_path, env=env, stderr=PIPE)
    logs = LogWatch(process.stderr)
    try:
        port = (await logs.wait_for(lambda e: e["msg"] == "listening"))["port"]
        url = f"http://127.0.0.1:{port}/healthz"
        async with aiohttp.ClientSession() as session:
            # Down: nothing listens where the Bot API should be. The service runs on.
            await logs.wait_for(retrying("telegram", retries=2))
            body = await health(session, url)
            telegram = body["channels"]["telegram"]
            assert telegram["state"] == "down" and telegram["retries"] >= 2
            assert "ConnectError" in telegram["last_error"]
            assert body["ready"] is False and body["down"] == ["telegram"]
            assert any(e["msg"] == "scheduler started" for e in logs.entries)

            # Stalling: connections are taken, requests never answered.
            telegram_api.hold_requests()
            await telegram_api.accept_connections()
            await logs.wait_for(retrying("telegram", error="TimedOut"))
            body = await health(session, url)
            assert body["channels"]["telegram"]["state"] == "down"
            assert body["channels"]["telegram"]["last_error"].startswith("TimedOut")

            # Back: the customer who wrote meanwhile is answered.
            telegram_api.release_requests()
            greeting = await telegram_api.wait_for_message(ALICE, timeout=20)
            assert "Welcome" in (greeting.text or "")
            await logs.wait_for(lambda e: e["msg"] == "telegram channel up again")
            body = await health(session, url)
            telegram = body["channels"]["telegram"]
            assert telegram["state"] == "up" and telegram["retries"] == 0
            assert body["ready"] is True and body["down"] == []

            # Lost while polling: the polling loop is started again once it is back.
            await telegram_api.refuse_connections()
            await logs.wait_for(retrying("telegram"))
            assert (await health(session, url))["channels"]["telegram"]["state"] == "down"
            telegram_api.user_text(BOB, "/start", "en")
            await telegram_api.accept_connections()
            greeting = await telegram_api.wait_for_message(BOB, timeout=20)
            assert "Welcome" in (greeting.text or "")

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
        await logs.wait_for(lambda e: e["msg"] == "stopped")
        assert not any(telegram_api.token in json.dumps(e) for e in logs.entries)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await logs.close()


async def test_the_webhook_takes_updates_while_set_webhook_is_retried(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    secret = "s3cret-Token_1"
    telegram_api.hold_requests()  # the Bot API stalls from the start
    desk = Desk(database_url(tmp_path), telegram_api, ticking_from(NOW))
    wiring = await desk.start(
        telegram_webhook_url=url,
        telegram_webhook_secret=secret,
        telegram_timeout_seconds=0.3,
        intake_channel_retry_seconds=0.05,
    )
    server = TestServer(build_web_app(wiring), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        telegram = wiring.channel_health()["telegram"]
        assert telegram.state is ChannelState.DOWN and "TimedOut" in (telegram.last_error or "")
        assert telegram_api.webhook is None

        update = telegram_api.user_text(ALICE, "/start", enqueue=False)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, json=update, headers={AUTH_HEADER: secret}) as response,
        ):
            assert response.status == 200  # taken, and its reply queued
        # While the channel is down its messages wait in the outbox, attempts unspent.
        assert await wiring.dispatcher.deliver_due() == 0
        waiting = await SqlOutboxQueue(wiring.engine).listing()
        assert waiting and all(m.attempts == 0 for m in waiting)
        assert telegram_api.sent(ALICE) == []

        telegram_api.release_requests()
        greeting = await telegram_api.wait_for_message(ALICE, timeout=10)
        assert "t:complaint" in greeting.callback_data
        assert telegram_api.webhook is not None and telegram_api.webhook.secret_token == secret
        assert wiring.channel_health()["telegram"].state is ChannelState.UP
    finally:
        await server.close()
        await desk.stop()


def wechat_settings(url: str, platform: WeChatPlatform) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        wechat_token=DEFAULT_TOKEN,
        wechat_app_id=DEFAULT_APP_ID,
        wechat_app_secret=DEFAULT_APP_SECRET,
        wechat_api_base_url=platform.api.base_url,
        intake_channel_retry_seconds=0.05,
        intake_outbox_backoff_seconds=0.05,
    )


async def queue_push(engine: AsyncEngine, openid: str, text: str) -> None:
    async with SqlUnitOfWork(engine) as uow:
        message = OutboundMessage(CustomerId(Platform.WECHAT, openid), Reply(text), "CP-1")
        await uow.outbox.add([message], now=datetime.now(UTC), key=f"test-{text}")
        await uow.commit()


async def test_wechat_rides_out_a_token_endpoint_outage(
    engine: AsyncEngine, tmp_path: Path, caplog: Any
) -> None:
    async with WeChatPlatform(now=time.time) as platform:
        api = platform.api
        await api.stop()  # the token endpoint is out of reach when the service starts
        wiring = build(wechat_settings(database_url(tmp_path), platform))
        server = TestServer(build_web_app(wiring), host="127.0.0.1")
        await server.start_server()
        platform.webhook_url = str(server.make_url("/wechat"))
        try:
            await wiring.start()
            async with aiohttp.ClientSession() as session:
                body = await health(session, str(server.make_url("/healthz")))
            wechat = body["channels"]["wechat"]
            assert wechat["state"] == "down" and "ConnectionError" in wechat["last_error"]
            assert body["ready"] is False and body["down"] == ["wechat"]
            assert DEFAULT_APP_SECRET not in json.dumps(body)

            # Customers are answered (a passive reply needs no token); pushes wait.
            openid = platform.new_openid()
            reply = await platform.send_text(openid, "你好")
            assert reply.reply is not None and "1. 投诉" in (reply.reply.content or "")
            await queue_push(wiring.engine, openid, "进展：已受理。")
            assert await wiring.dispatcher.deliver_due() == 0
            [waiting] = await SqlOutboxQueue(wiring.engine).listing()
            assert waiting.attempts == 0

            # Back, busy twice, then a token: the push goes out.
            api.fail_next_errcode("/cgi-bin/token", -1, times=2)
            await api.start()
            pushed = await api.wait_for_custom_message(openid, timeout=10)
            assert pushed.text == "进展：已受理。"
            assert [c.status for c in api.calls("/cgi-bin/token")] == [200, 200, 200]
            assert api.token_fetches == 1
            assert wiring.channel_health()["wechat"].state is ChannelState.UP

            # Later the token expires and the endpoint fails: the push that found out is
            # retried, and goes once the channel has its token again.
            api.expire_tokens()
            api.fail_next("/cgi-bin/token", 502, times=2)
            await queue_push(wiring.engine, openid, "处理结果：已退款。")
            wiring.dispatcher.wake()
            pushed = await api.wait_for_custom_message(openid, timeout=10)
            assert pushed.text == "处理结果：已退款。"
            assert len(api.custom_messages(openid)) == 2
        finally:
            await wiring.stop()
            await server.close()
        async with SqlUnitOfWork(wiring.engine) as uow:
            errors = list(await uow.cases._session.scalars(select(col(OutboxRow.last_error))))
            assert any("TokenUnavailable" in (e or "") for e in errors)
        for text in [*errors, *(r.getMessage() for r in caplog.records)]:
            assert DEFAULT_APP_SECRET not in (text or "")
        assert any(getattr(r, "channel", None) == "wechat" for r in caplog.records)
        await wiring.close()
