"""The service with its web channel served on a local port, and a client for its API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.config import Settings
from intake.server import build_web_app
from intake.wiring import Wiring, build
from tests.bots.telegram_support import NOW
from tests.conftest import database_url

TOKEN_KEY = "test-web-token-key-0123456789abcdefghij"
BRANCHES = "Pudong Lujiazui|Jing'an Temple"


class Clock:
    """Starts at a business moment and runs in real time; `skip` jumps ahead."""

    def __init__(self, start: datetime = NOW) -> None:
        self._start, self._origin, self.skipped = start, time.monotonic(), timedelta(0)

    def __call__(self) -> datetime:
        return self._start + self.skipped + timedelta(seconds=time.monotonic() - self._origin)

    def skip(self, by: timedelta) -> None:
        self.skipped += by


def web_settings(url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "intake_web_token_key": TOKEN_KEY,
        "intake_branches": BRANCHES,
        **extra,
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def serving(wiring: Wiring) -> AsyncIterator[str]:
    """The service's HTTP application on a free local port; yields its base URL."""
    runner = web.AppRunner(build_web_app(wiring), shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class WebClient:
    """A browser's or an app's side of the API."""

    def __init__(self, base: str, http: aiohttp.ClientSession, wiring: Wiring) -> None:
        self.base, self.http, self.wiring = base, http, wiring

    async def request(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(
            method, self.base + path, headers=headers, **kwargs
        ) as response:
            body = await response.read()
            is_json = response.content_type == "application/json"
            return response.status, (await response.json() if is_json else body), response

    async def start(self, **body: Any) -> dict[str, Any]:
        status, answer, _ = await self.request("POST", "/api/v1/sessions", json=body)
        assert status == 201, answer
        return dict(answer)

    async def send(self, token: str, **body: Any) -> list[dict[str, Any]]:
        status, answer, _ = await self.request("POST", "/api/v1/messages", token, json=body)
        assert status == 200, answer
        return list(answer["replies"])

    async def messages(self, token: str, after: int | None = None) -> list[dict[str, Any]]:
        query = "" if after is None else f"?after={after}"
        status, answer, _ = await self.request("GET", f"/api/v1/messages{query}", token)
        assert status == 200, answer
        return list(answer["replies"])


Start = Callable[..., Awaitable[WebClient]]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def start_web(engine: AsyncEngine, tmp_path: Path, clock: Clock) -> AsyncIterator[Start]:
    """Starts the service (settings as given) with its web channel; stops it after."""
    stack: list[Callable[[], Awaitable[None]]] = []

    async def start(**extra: Any) -> WebClient:
        wiring = build(web_settings(database_url(tmp_path), **extra), clock=clock)
        await wiring.start()
        served = serving(wiring)
        base = await served.__aenter__()
        http = aiohttp.ClientSession()

        async def stop() -> None:
            await http.close()
            await served.__aexit__(None, None, None)
            await wiring.stop()
            await wiring.close()

        stack.append(stop)
        return WebClient(base, http, wiring)

    yield start
    for stop in reversed(stack):
        await stop()


@pytest.fixture
async def client(start_web: Start) -> WebClient:
    return await start_web()
