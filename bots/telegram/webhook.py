"""The Telegram webhook route, served by the service's own aiohttp server."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bots.telegram.channel import TelegramChannel

log = logging.getLogger("bots.telegram.webhook")

PATH = "/telegram/webhook"
AUTH_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def add_webhook_route(app: web.Application, channel: TelegramChannel, secret: str) -> None:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(AUTH_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request with a missing or wrong secret refused")
            return web.Response(status=403)
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return web.Response(status=400, text="not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        # An exception here becomes a 500: Telegram redelivers, and the update_id
        # check in the conversation service makes sure it acts only once.
        await channel.handle_payload(payload)
        return web.Response(status=200)

    app.router.add_post(PATH, receive)
