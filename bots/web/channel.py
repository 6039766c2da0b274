"""The web channel's side of a conversation: opening and resuming it, one customer
message in and the stored replies out.

A message goes to the core's `Router` with the request's delivery key; the replies are
rendered into the response kept with that key in the same transaction, and then stored
as the conversation's messages, once per key: a retried request (the same
`client_message_id`) acts once and answers the same replies.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from bots.web.render import body
from bots.web.tokens import Kind, Signer, Token, TokenRefused
from core.cases.classification import Channel, IntakeChannel
from core.channel.io import Incoming, Input, Reply, Text
from core.channel.routing import Router
from core.identity import CustomerId, Platform
from storage.web import SqlWebStore, StoredMessage

# Where the business the feedback is about happened, unless the customer says otherwise:
# the JR/T 0169 channel of each origin.
_AXIS = {
    IntakeChannel.WEB: Channel.ONLINE_BANKING,
    IntakeChannel.APP: Channel.MOBILE_APP,
    IntakeChannel.KIOSK: Channel.SELF_SERVICE,
}
HISTORY_MAX = 500


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    expires: datetime
    replies: list[StoredMessage]


class WebChannel:
    def __init__(
        self,
        router: Router,
        store: SqlWebStore,
        signer: Signer,
        *,
        clock: Callable[[], datetime],
        page_url: str,
        session_lifetime: timedelta,
        resume_lifetime: timedelta,
    ) -> None:
        self.store = store
        self._router = router
        self._signer = signer
        self.clock = clock
        self.page_url = page_url
        self._session_lifetime = session_lifetime
        self._resume_lifetime = resume_lifetime

    async def open(self, origin: IntakeChannel, language: str | None) -> Session:
        """A new anonymous conversation, greeted as a chat greets a newcomer."""
        conversation = secrets.token_urlsafe(16)
        await self.store.open(conversation, origin.value, self.clock())
        session = self._session(conversation, origin)
        token = Token(Kind.SESSION, conversation, origin, session.expires)
        replies = await self.say(token, Text("/start"), "start", language)
        return Session(session.token, session.expires, replies)

    async def resume(self, resume_token: str) -> Session:
        """A new session on the conversation a resume token names, with everything it
        was sent so far."""
        token = self._signer.verify(resume_token, Kind.RESUME, self.clock())
        conversation = await self.store.conversation(token.conversation)
        if conversation is None:
            raise TokenRefused("the conversation of this token does not exist here")
        await self.store.reopen(token.conversation, self.clock())
        session = self._session(token.conversation, token.origin)
        history = await self.store.after(token.conversation, 0, HISTORY_MAX)
        return Session(session.token, session.expires, history)

    async def authorise(self, bearer: str) -> Token:
        now = self.clock()
        token = self._signer.verify(bearer, Kind.SESSION, now)
        conversation = await self.store.conversation(token.conversation)
        if conversation is None:
            raise TokenRefused("the conversation of this token does not exist here")
        if conversation.ended_at is not None:
            raise TokenRefused("this conversation was ended: start a new session")
        await self.store.seen(token.conversation, now)
        return token

    async def say(
        self, token: Token, message: Input, client_id: str | None, language: str | None = None
    ) -> list[StoredMessage]:
        key = f"web:{token.conversation}:{client_id or uuid.uuid4().hex}"
        incoming = Incoming(
            customer=CustomerId(Platform.WEB, token.conversation),
            message=message,
            channel=_AXIS[token.origin],
            language_hint=language,
            delivery_key=key,
            intake_channel=token.origin,
        )
        outcome = await self._router.handle(
            incoming, self.clock(), render=lambda replies: (self._render(token, replies), [])
        )
        bodies = json.loads(outcome.response) if outcome.response else []
        return await self.store.append(token.conversation, key, bodies, self.clock())

    def resume_link(self, conversation: str, origin: IntakeChannel) -> str:
        expires = self.clock() + self._resume_lifetime
        resume = self._signer.issue(Token(Kind.RESUME, conversation, origin, expires))
        return f"{self.page_url}?{urlencode({'resume': resume})}"

    def _render(self, token: Token, replies: list[Reply]) -> str:
        rendered = [
            body(r, resume=self.resume_link(token.conversation, token.origin) if r.filed else None)
            for r in replies
        ]
        return json.dumps(rendered, ensure_ascii=False)

    def _session(self, conversation: str, origin: IntakeChannel) -> Session:
        expires = self.clock() + self._session_lifetime
        text = self._signer.issue(Token(Kind.SESSION, conversation, origin, expires))
        return Session(text, expires, [])
