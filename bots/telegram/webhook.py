"""The Telegram webhook route, served by the service's own aiohttp server.

Every request gets a deliberate answer: 403 without the secret, 400 for a body that is
not JSON, and for an authenticated update the gate cannot accept, 200 (Telegram would
otherwise redeliver it forever), logged and counted. Only an error while handling a
valid update (the database down) is a 5xx, so that Telegram delivers it again.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bots.rejections import Rejected, RejectedInputs
from bots.telegram.channel import CHANNEL, TelegramChannel
from bots.telegram.gate import read_update

log = logging.getLogger("bots.telegram.webhook")

PATH = "/telegram/webhook"
AUTH_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_webhook_route(
    app: web.Application, channel: TelegramChannel, secret: str, rejected: RejectedInputs
) -> None:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(AUTH_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request with a missing or wrong secret refused")
            return web.Response(status=403)
        try:
            payload = json.loads(await request.read())
        # RecursionError: JSON nested deeper than the parser's stack.
        except (ValueError, UnicodeDecodeError, RecursionError):
            return web.Response(status=400, text="not JSON")
        try:
            update = read_update(payload, channel.application.bot)
        except Rejected as rejection:
            rejected.record(CHANNEL, rejection)
            return web.Response(status=200)
        # An exception here is a 5xx: Telegram redelivers, and the update_id check in
        # the conversation service makes sure it acts only once.
        await channel.handle_update(update)
        return web.Response(status=200)

    app.router.add_post(PATH, receive)
