"""The service's webhooks in this process, wired to the platform doubles, for generated input.

`TelegramTarget` serves Telegram webhook mode (with its secret), `WeChatTarget` the
WeChat webhook in safe (AES) or plaintext mode. Both post an `Input` through aiohttp's
test server and report the answer, whether the gate rejected it (from the service's own
counters) and how many rows the database holds, so a caller can check that a rejected
input stored nothing. Only the webhooks run: no dispatcher, no scheduler.
"""

from __future__ import annotations

import operator
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import reduce

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlmodel import SQLModel

from bots.telegram.webhook import AUTH_HEADER, PATH
from bots.telegram.webhook import CHANNEL as TELEGRAM
from bots.wechat.channel import CHANNEL as WECHAT
from fuzz.inputs import Input
from intake.config import Settings
from intake.server import build_web_app
from intake.wiring import Wiring, build
from storage.migrate import upgrade
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.doubles.wechat_platform import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_TOKEN,
    FakeClock,
    WeChatPlatform,
    new_encoding_aes_key,
)

SECRET = "fuzz-Secret_0123456789abcdefghijkl"
NOW = 1_793_584_800  # 2026-11-02 10:00 in Shanghai, a Monday


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    rejected: bool  # the gate refused it (counted)
    rows_added: int  # rows in all tables after minus before


class Target:
    """What both webhooks share: the wiring, the test server and the bookkeeping."""

    channel = ""

    def __init__(self, wiring: Wiring, server: TestServer) -> None:
        self.wiring, self.server = wiring, server

    async def rows(self) -> int:
        """Rows in every table the service writes (alembic's own excepted)."""
        counts = [
            select(func.count()).select_from(table).scalar_subquery()
            for table in SQLModel.metadata.sorted_tables
        ]
        total = select(reduce(operator.add, counts))
        async with self.wiring.engine.connect() as conn:
            return int((await conn.execute(total)).scalar_one())

    def rejected_total(self) -> int:
        return self.wiring.rejected_inputs.total(self.channel)

    async def send(self, item: Input, *, count_rows: bool = True) -> Answer:
        before = await self.rows() if count_rows else 0
        rejected_before = self.rejected_total()
        status, body = await self._post(item)
        after = await self.rows() if count_rows else 0
        return Answer(status, body, self.rejected_total() > rejected_before, after - before)

    async def _post(self, item: Input) -> tuple[int, bytes]:
        raise NotImplementedError


class TelegramTarget(Target):
    channel = TELEGRAM

    def __init__(self, wiring: Wiring, server: TestServer, session: ClientSession) -> None:
        super().__init__(wiring, server)
        self._session = session
        self._url = str(server.make_url(PATH))

    async def _post(self, item: Input) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if not item.forged:
            headers[AUTH_HEADER] = SECRET
        async with self._session.post(self._url, data=item.body, headers=headers) as response:
            return response.status, await response.read()


class WeChatTarget(Target):
    channel = WECHAT

    def __init__(self, wiring: Wiring, server: TestServer, platform: WeChatPlatform) -> None:
        super().__init__(wiring, server)
        self.platform = platform

    async def _post(self, item: Input) -> tuple[int, bytes]:
        prepared = self.platform.build_raw(item.body, encrypt=None if item.envelope else False)
        if item.forged:
            prepared = prepared.with_query(signature="0" * 40)
        result = await self.platform.deliver(prepared)
        return result.status, result.body


async def _serve(wiring: Wiring, migrate: bool) -> TestServer:
    if migrate:
        await upgrade(wiring.engine)
    server = TestServer(build_web_app(wiring), host="127.0.0.1")
    await server.start_server()
    return server


@asynccontextmanager
async def telegram_target(
    database_url: str, *, migrate: bool = False
) -> AsyncIterator[TelegramTarget]:
    """Telegram webhook mode on `database_url` (migrated first with `migrate`)."""
    async with BotApiDouble() as api:
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.root_url,
            telegram_webhook_url=f"http://127.0.0.1:1{PATH}",  # only registered, never called
            telegram_webhook_secret=SECRET,
        )
        wiring = build(settings, clock=FakeClock(NOW).datetime)
        telegram = wiring.telegram
        assert telegram is not None
        server = await _serve(wiring, migrate)
        await telegram.start()
        try:
            async with ClientSession() as session:
                yield TelegramTarget(wiring, server, session)
        finally:
            await telegram.stop()
            await server.close()
            await wiring.close()


@asynccontextmanager
async def wechat_target(
    database_url: str, mode: str, *, migrate: bool = False
) -> AsyncIterator[WeChatTarget]:
    """The WeChat webhook in `mode` "safe" (AES) or "plain" on `database_url`."""
    clock = FakeClock(NOW)
    key = new_encoding_aes_key() if mode == "safe" else None
    async with WeChatPlatform(encoding_aes_key=key, now=clock) as platform:
        settings = Settings(
            _env_file=None,
            database_url=database_url,
            wechat_token=DEFAULT_TOKEN,
            wechat_app_id=DEFAULT_APP_ID,
            wechat_app_secret=DEFAULT_APP_SECRET,
            wechat_aes_key=key,
            wechat_api_base_url=platform.api.base_url,
        )
        wiring = build(settings, clock=clock.datetime)
        server = await _serve(wiring, migrate)
        platform.webhook_url = str(server.make_url("/wechat"))
        try:
            yield WeChatTarget(wiring, server, platform)
        finally:
            await server.close()
            await wiring.close()
