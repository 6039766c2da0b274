"""What staff do reaches a web conversation through the outbox: a case resolved from
Telegram shows its result and survey in `GET /messages` and on the event stream, and a
customer who is offline and gave an e-mail address gets one e-mail saying there is news
(through a real SMTP server on a local port)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aiohttp
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncEngine

from intake.wiring import Wiring
from storage.outbox import SqlOutboxQueue
from tests.bots.conftest import free_port
from tests.bots.telegram_support import Desk
from tests.bots.test_desk_telegram import AGENT, set_up_desk
from tests.conftest import database_url
from tests.doubles.telegram_bot_api import BotApiDouble
from tests.web.conftest import TOKEN_KEY, Clock, WebClient, serving
from tests.web.steps import COMPLAINT_ZH, SUBMIT, case_number, walk
from tests.web.test_guards import form, png

RESULT = "已为您退回费用。"


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.messages.append(envelope)
        return "250 OK"


@asynccontextmanager
async def desk_with_web(
    tmp_path: Path, clock: Clock, **extra: Any
) -> AsyncIterator[tuple[Desk, WebClient]]:
    async with BotApiDouble() as api:
        desk = Desk(database_url(tmp_path), api, clock)
        wiring = await desk.start(intake_web_token_key=TOKEN_KEY, **extra)
        try:
            async with serving(wiring) as base, aiohttp.ClientSession() as http:
                yield desk, WebClient(base, http, wiring)
        finally:
            await desk.stop()


async def file_complaint(desk: Desk, client: WebClient) -> tuple[str, str]:
    """The desk set up, a complaint filed on the web; its session token and number."""
    codes = await set_up_desk(desk)
    await desk.say(AGENT, f"/register {codes['李坐席']}")
    session = await client.start(language="zh")
    summary = await walk(client, session["token"], session["replies"], COMPLAINT_ZH)
    number = case_number(await walk(client, session["token"], summary, [SUBMIT]))
    await desk.api.wait_for_message(AGENT)  # the new-case alert
    return session["token"], number


async def resolve(desk: Desk, number: str) -> None:
    """The agent sets the complaint's cause (the second on the list), then answers it."""
    classified = await desk.say(AGENT, f"/classify {number} 2")
    assert number in (classified.text or "")
    answer = await desk.say(AGENT, f"/resolve {number} {RESULT}")
    assert "已答复" in (answer.text or "")


async def events(stream: aiohttp.ClientResponse) -> AsyncIterator[dict[str, Any]]:
    """The `reply` events of a Server-Sent Events stream, as they come."""
    fields: dict[str, str] = {}
    while line := await stream.content.readline():
        text = line.decode().rstrip("\n")
        if text == "":
            if fields.get("event") == "reply":
                reply = json.loads(fields["data"])
                assert int(fields["id"]) == reply["id"]
                yield reply
            fields = {}
        elif not text.startswith(":"):
            name, _, value = text.partition(": ")
            fields[name] = value


async def all_delivered(wiring: Wiring) -> None:
    """Until the outbox holds nothing pending for the web."""
    queue = SqlOutboxQueue(wiring.engine)
    async with asyncio.timeout(20):
        while any(m.platform == "web" for m in await queue.listing(("pending",))):
            pass


async def test_a_result_from_telegram_reaches_the_web_page(
    engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> None:
    async with desk_with_web(tmp_path, clock) as (desk, client):
        token, number = await file_complaint(desk, client)
        last = (await client.messages(token))[-1]["id"]
        headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": str(last)}
        async with client.http.get(client.base + "/api/v1/events", headers=headers) as stream:
            assert stream.status == 200
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            assert "Content-Security-Policy" in stream.headers
            await resolve(desk, number)
            received = []
            async with asyncio.timeout(20):
                async for reply in events(stream):
                    received.append(reply)
                    if len(received) == 2:
                        break
        result, survey = received
        assert RESULT in result["text"] and result["case_number"] == number
        assert survey["case_number"] == number and "满意" in survey["text"]
        keys = [o["key"] for o in survey["options"]]
        assert keys == [*(f"v:{number}:{s}" for s in range(1, 6)), f"v:{number}:later"]
        # The same two, stored, for a page opened later.
        assert (await client.messages(token, after=last)) == received

        # The customer answers the survey by its button, as on the bots.
        thanks = await client.send(token, option=f"v:{number}:5")
        assert thanks and number in thanks[0]["text"]


async def test_an_offline_customer_is_told_once_by_e_mail(
    engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> None:
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        extra = {"intake_smtp_host": "127.0.0.1", "intake_smtp_port": port}
        extra |= {
            "intake_smtp_starttls": False,
            "intake_public_url": "https://bank.example/chat",
        }
        async with desk_with_web(tmp_path, clock, **extra) as (desk, client):
            token, number = await file_complaint(desk, client)
            status, answer, _ = await client.request(
                "PUT", "/api/v1/email", token, json={"email": "wang.wu@example.com"}
            )
            assert status == 200 and answer == {"email": "wang.wu@example.com"}
            clock.skip(timedelta(minutes=10))  # the customer has left the page
            await resolve(desk, number)
            await all_delivered(desk.wiring or client.wiring)
            stored = await client.messages(token)
            assert RESULT in stored[-2]["text"] and "满意" in stored[-1]["text"]
    finally:
        smtp.stop()
    [mail] = inbox.messages  # result and survey: news once
    assert mail.rcpt_tos == ["wang.wu@example.com"]
    parsed = message_from_bytes(mail.original_content or b"", policy=policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert number in str(parsed["Subject"]) and number in text
    assert "https://bank.example/chat/?resume=r." in text
    assert RESULT not in text  # no case content beyond its number


async def test_staff_on_telegram_get_the_photo_a_web_customer_uploaded(
    engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> None:
    async with desk_with_web(tmp_path, clock) as (desk, client):
        codes = await set_up_desk(desk)
        await desk.say(AGENT, f"/register {codes['李坐席']}")
        session = await client.start(language="zh")
        token = session["token"]
        description = COMPLAINT_ZH.index(">ATM 吞卡，卡一直没有退回来。") + 1
        await walk(client, token, session["replies"], COMPLAINT_ZH[:description])
        photo = png()
        status, answer, _ = await client.request(
            "POST", "/api/v1/attachments", token, data=form(photo, "image/png", "回单")
        )
        assert status == 200, answer
        summary = await walk(client, token, answer["replies"], COMPLAINT_ZH[description:])
        number = case_number(await walk(client, token, summary, [SUBMIT]))
        await desk.api.wait_for_message(AGENT)  # the new-case alert

        details = await desk.say(AGENT, f"/case {number}")
        assert number in (details.text or "")
        sent = await desk.api.wait_for_call("sendPhoto", timeout=10)
        assert sent.files["photo"].data == photo  # the upload itself, not a reference
        assert sent.params.get("caption") == "回单"
