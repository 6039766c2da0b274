"""Delivering outbox messages to web conversations: stored (once, by the outbox's key)
and the conversation's event streams woken; and, for a customer who is not online and
gave an e-mail address, one e-mail saying there is news, until they come back."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from bots.web.channel import WebChannel
from bots.web.events import Listeners
from bots.web.mail import Mailer
from bots.web.render import body
from core.cases.classification import IntakeChannel
from core.channel.outbox import OutboundMessage, Undeliverable
from core.identity import CustomerId
from core.messages import LANGUAGES, t

log = logging.getLogger("bots.web")

# A customer seen this recently (a request, an open event stream) is online.
ONLINE_WINDOW = timedelta(seconds=90)


class WebDelivery:
    def __init__(
        self,
        channel: WebChannel,
        listeners: Listeners,
        mailer: Mailer | None = None,
    ) -> None:
        self._channel = channel
        self._store = channel.store
        self._listeners = listeners
        self._mailer = mailer

    async def deliver(self, message: OutboundMessage) -> None:
        recipient = message.recipient
        if not isinstance(recipient, CustomerId):
            raise Undeliverable("the web has no staff chats")
        conversation = recipient.user_id
        now = self._channel.clock()
        source = f"outbox:{message.key or uuid.uuid4().hex}"
        await self._store.append(
            conversation, source, [body(message.reply, message.case_number)], now
        )
        self._listeners.wake(conversation)
        await self._tell_by_mail(conversation, message.case_number, now)

    async def _tell_by_mail(self, conversation: str, number: str | None, now: datetime) -> None:
        """An SMTP failure raises: the dispatcher delivers the message again, which is
        stored once already, and the e-mail is tried again."""
        if self._mailer is None or number is None:
            return
        found = await self._store.conversation(conversation)
        if found is None or found.email is None:
            return
        if self._listeners.online(conversation) or now - found.seen_at < ONLINE_WINDOW:
            return
        if found.emailed_at is not None and found.emailed_at >= found.seen_at:
            return  # told already since they were last here
        link = self._channel.resume_link(conversation, IntakeChannel(found.origin))
        subject = " / ".join(t(lang, "web.email.subject", number=number) for lang in LANGUAGES)
        text = "\n\n".join(
            t(lang, "web.email.body", number=number, link=link) for lang in LANGUAGES
        )
        await self._mailer.send(found.email, subject, text)
        await self._store.emailed(conversation, now)
        log.info("news sent by e-mail", extra={"case": number})
