"""Pushing a message to a WeChat customer outside a passive reply.

WeChat allows customer-service messages only within 48 hours of the customer's last
message, at most 5 per window. Outside that, a template message (when the bank has one
configured); failing that, the message is held and goes out as soon as the customer next
writes. A push is never silently dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from wechatpy.exceptions import WeChatClientException

from bots.text import split_continued, utf8_length
from bots.wechat.client import WeChatApi

log = logging.getLogger("bots.wechat.push")

SERVICE_WINDOW = timedelta(hours=48)
SERVICE_BUDGET = 5
MAX_TEXT_BYTES = 2000  # WeChat refuses texts above about 2048 bytes (45002)
TEMPLATE_FIELD_CHARS = 180
# WeChat's answers meaning "not through the customer-service API right now".
_WINDOW_CLOSED = frozenset({45015, 45047, 43004})


class Route(StrEnum):
    SERVICE = "service"  # customer-service message(s)
    TEMPLATE = "template"
    HELD = "held"  # waits for the customer's next message


class FollowerStore(Protocol):
    async def reserve_service_messages(
        self, openid: str, count: int, now: datetime, window: timedelta, budget: int
    ) -> bool | None: ...

    async def hold(
        self, openid: str, text: str, case_number: str | None, now: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Push:
    text: str
    case_number: str | None = None
    title: str | None = None  # the template's headline
    continued: str | None = None  # starts each piece after the first (`Reply.continued`)


class WeChatPusher:
    def __init__(
        self,
        api: WeChatApi,
        store: FollowerStore,
        clock: Callable[[], datetime],
        template_id: str | None,
        tz: ZoneInfo,
    ) -> None:
        self._api = api
        self._store = store
        self._clock = clock
        self._template_id = template_id
        self._tz = tz

    async def push(self, openid: str, push: Push) -> Route:
        now = self._clock()
        pieces = split_continued(push.text, MAX_TEXT_BYTES, utf8_length, push.continued)
        reserved = await self._store.reserve_service_messages(
            openid, len(pieces), now, SERVICE_WINDOW, SERVICE_BUDGET
        )
        if reserved:
            try:
                for piece in pieces:
                    await self._api.send_text(openid, piece)
                return Route.SERVICE
            except WeChatClientException as exc:
                if exc.errcode not in _WINDOW_CLOSED:
                    raise
                log.info("service window closed by WeChat", extra={"errcode": exc.errcode})
        if reserved is not None and self._template_id:
            data = _template_data(push, now.astimezone(self._tz))
            await self._api.send_template(openid, self._template_id, data)
            return Route.TEMPLATE
        await self._store.hold(openid, push.text, push.case_number, now)
        return Route.HELD


def _template_data(push: Push, now: datetime) -> dict[str, dict[str, str]]:
    """A generic 'case update' template: headline, case number, time, the text."""
    text = (
        push.text
        if len(push.text) <= TEMPLATE_FIELD_CHARS
        else (push.text[: TEMPLATE_FIELD_CHARS - 1] + "…")
    )
    return {
        "first": {"value": push.title or text.split("\n", 1)[0]},
        "keyword1": {"value": push.case_number or "-"},
        "keyword2": {"value": now.strftime("%Y-%m-%d %H:%M")},
        "remark": {"value": text},
    }
