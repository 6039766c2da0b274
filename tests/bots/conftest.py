"""Fixtures for the channel tests: the platform doubles and a service wired to them."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bots.telegram_support import NOW, Desk, ticking_from
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble


@pytest.fixture(autouse=True)
def timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to python-telegram-bot's timedelta durations (silences its deprecation notes)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def telegram_api() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as double:
        yield double


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def desk(
    engine: AsyncEngine, tmp_path: Path, telegram_api: BotApiDouble
) -> AsyncIterator[Desk]:
    desk = Desk(database_url(tmp_path), telegram_api, ticking_from(NOW))
    await desk.start()
    yield desk
    await desk.stop()
