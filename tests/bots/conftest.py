"""Fixtures for the channel tests: the platform doubles and a service wired to them."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.bots.internal_codes import internal_codes
from tests.bots.telegram_support import NOW, Desk, ticking_from
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.doubles.wechat_platform import WeChatPlatform


@pytest.fixture(autouse=True)
def timedelta_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to python-telegram-bot's timedelta durations (silences its deprecation notes)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def _texts_sent(double: BotApiDouble | WeChatPlatform) -> list[str]:
    """Everything the service made the platform show to a person."""
    if isinstance(double, BotApiDouble):
        return [m.text or "" for m in double.sent()]
    replies = [d.reply.content or "" for d in double.deliveries if d.reply is not None]
    pushes = [m.text or "" for m in double.api.custom_messages()]
    templates = [str(m.data) for m in double.api.template_messages()]
    return replies + pushes + templates


@pytest.fixture(autouse=True)
def nobody_reads_internal_codes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every message an end-to-end test makes the service send, to a customer or to
    staff, is read for internal codes (actors, enum values, department codes, staff
    ids): people get names and words."""
    doubles: list[BotApiDouble | WeChatPlatform] = []
    for cls in (BotApiDouble, WeChatPlatform):
        original = cls.__init__

        def remember(self: Any, *args: Any, __init: Any = original, **kwargs: Any) -> None:
            __init(self, *args, **kwargs)
            doubles.append(self)

        monkeypatch.setattr(cls, "__init__", remember)
    yield
    found = {
        (code, text[:120])
        for d in doubles
        for text in _texts_sent(d)
        for code in internal_codes(text)
    }
    assert not found, sorted(found)


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
