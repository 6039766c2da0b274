"""A customer's complaint from first message to a confirmed /forget, on a real database,
and a reading of everything the database holds, for the privacy tests."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bots.wechat.convert import passive_and_rest
from core.cases.calendar import WorkingCalendar
from core.cases.classification import Channel
from core.channel.io import Choice, Incoming, Input, Reply, Text
from core.desk.staff import ChatAddress
from core.identity import CustomerId, Platform
from storage.crypto import DataKeys, key_id_of
from storage.outbox import SqlOutboxQueue
from tests.factories import at, conversation_service, desk_service
from tests.integration.test_deadline_chasing import AGENT, LEAD, register_staff

CUSTOMER = CustomerId(Platform.WECHAT, "o-privacy-customer")
TELEGRAM_CUSTOMER = CustomerId(Platform.TELEGRAM, "1001")
NAME, PHONE = "欧阳明月", "13800138000"
DESCRIPTION = "自助机吞卡后大堂经理说明天再来，柜台也不受理，排队两小时"
DESIRED = "希望当天退卡并书面致歉"
COMMENT = "后来处理得还算及时，谢谢那位柜员"
# Every piece of what the customer said or gave that must not outlive /forget.
TRACES = (NAME, PHONE, DESCRIPTION, DESIRED, COMMENT)


def passive(replies: list[Reply]) -> tuple[str, list[Reply]]:
    """The WeChat channel's rendering: one passive reply, the rest as pushes."""
    first, rest = passive_and_rest(replies)
    return first, [Reply(piece) for piece in rest]


class Flow:
    def __init__(
        self, engine: AsyncEngine, calendar: WorkingCalendar, customer: CustomerId = CUSTOMER
    ) -> None:
        self.engine, self.calendar, self.who = engine, calendar, customer
        self.customer = conversation_service(engine, calendar)
        self.desk = desk_service(engine, calendar)
        self.now = at("2026-11-02 10:00")
        self._messages = 0

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    async def say(self, message: Input | str) -> str:
        self._messages += 1
        typed = Text(message) if isinstance(message, str) else message
        key = f"{self.who.platform.value}:app:msg:{self._messages}"
        incoming = Incoming(self.who, typed, Channel.PUBLIC_PLATFORM, delivery_key=key)
        if self.who.platform is Platform.WECHAT:  # as the channels answer
            outcome = await self.customer.handle(incoming, self._tick(), render=passive)
        else:
            chat = ChatAddress(Platform.TELEGRAM, self.who.user_id)
            outcome = await self.customer.handle(incoming, self._tick(), reply_to=chat)
        return "\n".join(r.text for r in outcome.replies)

    async def staff(self, user: str, command: str, *, passive_reply: bool = False) -> str:
        """A staff command, answered in the outbox (Telegram) or, with `passive_reply`,
        in a stored reply as WeChat's passive replies are."""
        self._messages += 1
        incoming = Incoming(
            CustomerId(Platform.TELEGRAM, user),
            Text(command),
            Channel.PUBLIC_PLATFORM,
            delivery_key=f"telegram:bot:{self._messages}",
        )
        chat = ChatAddress(Platform.TELEGRAM, user)
        if passive_reply:
            outcome = await self.desk.handle(incoming, self._tick(), render=passive)
        else:
            outcome = await self.desk.handle(incoming, self._tick(), reply_to=chat)
        assert outcome is not None
        return "\n".join(r.text for r in outcome.replies)

    async def deliver(self) -> int:
        """What the dispatcher would do: every message claimed and marked sent."""
        queue = SqlOutboxQueue(self.engine)
        sent = 0
        while claimed := await queue.claim(self.now, limit=100, lease=timedelta(seconds=30)):
            for message in claimed:
                await queue.sent(message.id, self.now, self.now)
                sent += 1
        return sent

    async def file_complaint(self) -> str:
        for step in (
            Choice("t:complaint"),
            Choice("b:debit_card"),
            Choice("r:online"),
            Choice("w:self_service"),
            DESCRIPTION,
            Choice("d:next"),
            DESIRED,
            Choice("c:yes"),
            NAME,
        ):
            await self.say(step)
        summary = await self.say(PHONE)
        assert PHONE in summary and NAME in summary  # the customer sees what they gave
        confirmation = await self.say(Choice("s:submit"))
        match = re.search(r"CP-\d{8}-\d{4}", confirmation)
        assert match is not None, confirmation
        return match.group(0)

    async def register_staff(self) -> None:
        await register_staff(self.engine, self.calendar)

    async def close_and_forget(self, number: str) -> None:
        """A filed case revealed, resolved, rated, commented and closed; then /forget."""
        await self.staff(AGENT, f"/take {number}")
        for passive_reply in (False, True):
            revealed = await self.staff(LEAD, f"/reveal {number}", passive_reply=passive_reply)
            assert PHONE in revealed and NAME in revealed
        await self.staff(AGENT, f"/classify {number} 2")
        await self.staff(AGENT, f"/resolve {number} 已退卡并致歉。")
        await self.deliver()
        await self.say("5")
        await self.say(COMMENT)
        await self.deliver()
        await self.say("/forget")
        done = await self.say("1")
        assert "1 条已结案反馈" in done, done
        await self.deliver()


async def every_value(engine: AsyncEngine, keys: DataKeys | None = None) -> str:
    """Every column of every table, as stored; with `keys`, encrypted values opened."""
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "cases" in tables and "outbox" in tables
        values: list[str] = []
        for table in tables:
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
            for row in result:
                for column, value in zip(result.keys(), row, strict=True):
                    values.append(_opened(value, f"{table}.{column}", keys))
    return "\n".join(values)


def _opened(value: object, purpose: str, keys: DataKeys | None) -> str:
    stored = value if isinstance(value, str) else json.dumps(value, default=str)
    inner = json.loads(stored) if stored.startswith('"') else stored
    if keys is not None and isinstance(inner, str) and key_id_of(inner) is not None:
        return keys.decrypt(inner, purpose).decode()
    return stored


def traces_in(dump: str, traces: tuple[str, ...] = TRACES) -> list[str]:
    """Which traces appear, as they are or escaped as JSON writes non-ASCII text."""
    return [t for t in traces if t in dump or json.dumps(t)[1:-1] in dump]
