"""The running service wired to the Bot API double, for Telegram end-to-end tests."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from core.cases.case import Case
from core.identity import CustomerId, Platform
from intake.config import Settings
from intake.wiring import Wiring, build
from tests.doubles.telegram_bot_api import BotApiDouble, SentMessage
from tests.factories import at

ALICE, BOB = 1001, 2002
# How long an answer may take to arrive: a service just (re)started on a busy machine
# first long-polls and registers its commands; a passing test never waits this long.
ANSWER_WAIT = 15.0
NOW = at("2026-11-02 10:00")  # a Monday


def settings_for(url: str, api: BotApiDouble, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "telegram_bot_token": api.token,
        "telegram_api_base_url": api.root_url,
        "intake_branches": "Pudong Lujiazui|Jing'an Temple",
        # The conversation tests do not wait out the per-chat pacing (tested on its own).
        "telegram_chat_interval_seconds": 0,
        **extra,
    }
    return Settings(_env_file=None, **values)


def ticking_from(start: datetime) -> Callable[[], datetime]:
    """A clock at a fixed business moment that then runs in real time, so deadlines are
    predictable while retry_after and backoff still elapse."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


class Desk:
    """The running service plus the conveniences a test needs to talk to it."""

    def __init__(self, url: str, api: BotApiDouble, clock: Callable[[], datetime]) -> None:
        self.url, self.api, self.clock = url, api, clock
        self.wiring: Wiring | None = None

    async def start(self, **extra: object) -> Wiring:
        self.wiring = build(settings_for(self.url, self.api, **extra), clock=self.clock)
        await self.wiring.start()
        return self.wiring

    async def stop(self) -> None:
        if self.wiring is not None:
            await self.wiring.stop()
            await self.wiring.close()
        self.wiring = None

    async def say(self, user: int, text: str, language: str | None = None) -> SentMessage:
        self.api.user_text(user, text, language)
        return await self.api.wait_for_message(user, timeout=ANSWER_WAIT)

    async def press(self, user: int, prompt: SentMessage, data: str) -> SentMessage:
        assert data in prompt.callback_data, (data, prompt.callback_data)
        self.api.callback(user, data, prompt.message_id)
        return await self.api.wait_for_message(user, timeout=ANSWER_WAIT)

    async def cases(self, user: int) -> list[Case]:
        assert self.wiring is not None
        async with self.wiring.unit_of_work() as uow:
            return await uow.cases.for_customer(CustomerId(Platform.TELEGRAM, str(user)))


async def file_quick_praise(desk: Desk, user: int) -> str:
    """An anonymous praise, start to finish; returns its case number."""
    greeting = await desk.say(user, "/start")
    business = await desk.press(user, greeting, "t:praise")
    branch = await desk.press(user, business, "b:other")
    where = await desk.press(user, branch, "r:online")
    await desk.press(user, where, "w:mobile_app")
    added = await desk.say(user, "The app's new statement page is very clear.")
    consent = await desk.press(user, added, "d:next")
    summary = await desk.press(user, consent, "c:anon")
    confirmation = await desk.press(user, summary, "s:submit")
    match = re.search(r"PR-\d{8}-\d{4}", confirmation.text or "")
    assert match is not None
    await desk.api.wait_for_message(user)  # the points it earned
    return match.group(0)
