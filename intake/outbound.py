"""The one way out for messages nobody is waiting for: to the channel of the recipient."""

from __future__ import annotations

import logging

from bots.telegram.channel import TelegramChannel
from bots.wechat.channel import WeChatChannel
from bots.wechat.convert import as_text
from bots.wechat.push import Push
from core.identity import CustomerId, Platform
from core.outbound import OutboundMessage

log = logging.getLogger("intake.outbound")


class ChannelOutbound:
    """Delivers each message on its recipient's platform. The channels are attached once
    built, since they in turn need the services that send through this."""

    def __init__(self) -> None:
        self.telegram: TelegramChannel | None = None
        self.wechat: WeChatChannel | None = None

    async def send(self, messages: list[OutboundMessage]) -> None:
        for message in messages:
            recipient = message.recipient
            address = (
                recipient.user_id if isinstance(recipient, CustomerId) else (recipient.chat_id)
            )
            try:
                if recipient.platform is Platform.TELEGRAM and self.telegram is not None:
                    await self.telegram.send(int(address), [message.reply])
                elif recipient.platform is Platform.WECHAT and self.wechat is not None:
                    text = as_text([message.reply])
                    await self.wechat.pusher.push(address, Push(text, message.case_number))
                else:
                    log.error(
                        "no channel for an outbound message",
                        extra={"platform": recipient.platform.value, "case": message.case_number},
                    )
            except Exception:
                log.exception(
                    "outbound message not delivered",
                    extra={"platform": recipient.platform.value, "case": message.case_number},
                )
