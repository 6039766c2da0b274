"""The WeChat webhook: GET for the URL handshake, POST for messages and events.

A message is answered with a passive reply inside the HTTP response (it costs no push
quota). WeChat retries a slow answer up to three times: the delivery id (MsgId, or
sender + CreateTime for events) is recorded in the same transaction that handles the
message, together with the reply, so every redelivery — even one that arrives while the
first is still being handled — gets the very same reply and changes nothing.

Passive replies need no access token; pushes do. The channel's supervisor gets a token at
start and, whenever a push finds the token endpoint failing, tries again with backoff;
meanwhile pushes wait in the outbox and messages are still answered.

Every request gets a deliberate answer: 403 for a bad signature or a replay, 400 (413)
for a body that is not an acceptable XML document, and `success` for a signed message
the gate cannot accept (logged and counted). Only an error while handling a valid
message (the database down) is a 5xx, which WeChat retries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from aiohttp import web
from wechatpy.replies import TextReply

from bots.rejections import Rejected, RejectedInputs
from bots.supervisor import Supervisor
from bots.wechat.codec import MAX_BODY, BadRequest, Forbidden, WeChatCodec
from bots.wechat.convert import passive_and_rest, to_inbound, to_incoming
from bots.wechat.gate import check_message
from bots.wechat.push import WeChatPusher
from core.channel.io import Reply
from core.channel.routing import Router

log = logging.getLogger("bots.wechat")

PATH = "/wechat"
CHANNEL = "wechat"


class SubscriptionStore(Protocol):
    """Following and held pushes (see `storage.wechat.SqlWeChatStore`). Following again
    needs no call: every message of the customer's marks them as following."""

    async def record_unsubscribe(self, openid: str) -> None: ...

    async def release_held(self, openid: str, now: datetime) -> int:
        """Move the pushes held for this customer into the outbox; how many."""
        ...


class WeChatChannel:
    def __init__(
        self,
        *,
        codec: WeChatCodec,
        router: Router,
        followers: SubscriptionStore,
        pusher: WeChatPusher,
        app_id: str,
        clock: Callable[[], datetime],
        wake: Callable[[], None],
        supervisor: Supervisor,
        connect: Callable[[], Awaitable[None]],
        rejected: RejectedInputs,
    ) -> None:
        """`connect` gets the access token; `supervisor` runs it and repeats it after
        failures (see `bots.wechat.client.WeChatApi.ensure_token`)."""
        self._codec = codec
        self._router = router
        self._followers = followers
        self.pusher = pusher
        self._app_id = app_id
        self._clock = clock
        self._wake = wake
        self.supervisor = supervisor
        self._connect = connect
        self._rejected = rejected

    async def start(self) -> None:
        """Get a token in the background; return once the first try succeeded or failed."""
        self.supervisor.start(self._connect)
        await self.supervisor.settled()

    async def stop(self) -> None:
        await self.supervisor.stop()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PATH, self._verify_url)
        app.router.add_post(PATH, self._receive)

    async def _verify_url(self, request: web.Request) -> web.Response:
        try:
            echo = self._codec.check_url(request.query, self._clock().timestamp())
        except Forbidden:
            return web.Response(status=403)
        except BadRequest:
            return web.Response(status=400)
        return web.Response(text=echo)

    async def _receive(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        body = await request.content.read(MAX_BODY + 1)
        now = self._clock()
        try:
            opened = self._codec.open(request.query, body, now.timestamp())
        except Forbidden as refusal:
            log.warning("wechat request refused", extra={"reason": str(refusal)})
            return web.Response(status=403)
        except BadRequest as refusal:
            log.warning("wechat request rejected", extra={"reason": str(refusal)})
            return web.Response(status=400)
        try:
            fields = check_message(opened.fields)
        except Rejected as rejection:
            self._rejected.record(CHANNEL, rejection)
            return web.Response(text="success")
        inbound = to_inbound(fields, self._app_id)
        if inbound.subscribed is False:
            await self._followers.record_unsubscribe(inbound.openid)
        incoming = to_incoming(inbound)
        if incoming is None:
            return web.Response(text="success")

        def render(replies: list[Reply]) -> tuple[str, list[Reply]]:
            passive, rest = passive_and_rest(replies)
            xml = TextReply(
                source=fields["ToUserName"],
                target=fields["FromUserName"],
                content=passive,
                time=fields["CreateTime"],
            ).render()
            return xml, [Reply(piece) for piece in rest]

        outcome = await self._router.handle(incoming, now, render=render)
        if outcome.waiting_pushes and await self._followers.release_held(inbound.openid, now):
            self._wake()  # pushes that waited for this message are in the outbox now
        if outcome.response is None:
            return web.Response(text="success")
        sealed = self._codec.seal(outcome.response, opened, int(now.timestamp()))
        return web.Response(text=sealed, content_type="application/xml")
