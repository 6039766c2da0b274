"""Delivery of outbox messages to the recipient's platform (the dispatcher's backend)."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.error import RetryAfter as TelegramRetryAfter
from wechatpy.exceptions import WeChatClientException

from bots.telegram.channel import TelegramChannel
from bots.wechat.channel import WeChatChannel
from bots.wechat.client import TokenUnavailable
from bots.wechat.convert import as_text
from bots.wechat.push import Push
from core.channel.outbox import OutboundMessage, RetryLater, Undeliverable
from core.identity import CustomerId, Platform

# WeChat answers that retrying cannot fix: content too long, bad openid, not following.
_WECHAT_FINAL = frozenset({40003, 43004, 45002})


class ChannelDelivery:
    """Hands each message to its recipient's channel. The channels are attached once
    built, since they in turn need the services that queue messages for this."""

    def __init__(self) -> None:
        self.telegram: TelegramChannel | None = None
        self.wechat: WeChatChannel | None = None

    def down_platforms(self) -> frozenset[str]:
        """Platforms whose channel cannot reach them now: their messages wait, unclaimed,
        and go out once the channel's supervisor has it up again."""
        channels = ((Platform.TELEGRAM, self.telegram), (Platform.WECHAT, self.wechat))
        return frozenset(p.value for p, c in channels if c is not None and c.supervisor.down)

    async def deliver(self, message: OutboundMessage) -> None:
        recipient = message.recipient
        address = recipient.user_id if isinstance(recipient, CustomerId) else recipient.chat_id
        if recipient.platform is Platform.TELEGRAM and self.telegram is not None:
            try:
                await self.telegram.send(int(address), [message.reply])
            except TelegramRetryAfter as wait:
                raise RetryLater(_seconds(wait.retry_after), str(wait)) from wait
            except (Forbidden, BadRequest) as refusal:
                raise Undeliverable(str(refusal)) from refusal
            except NetworkError as error:  # timeouts and 5xx too; retried as usual
                self.telegram.supervisor.lost(error)
                raise
        elif recipient.platform is Platform.WECHAT and self.wechat is not None:
            try:
                reply = message.reply
                await self.wechat.pusher.push(
                    address, Push(as_text([reply]), message.case_number, continued=reply.continued)
                )
            except TokenUnavailable as error:  # retried as usual; the next ones wait
                self.wechat.supervisor.lost(error)
                raise
            except WeChatClientException as refusal:
                if refusal.errcode in _WECHAT_FINAL:
                    raise Undeliverable(f"errcode {refusal.errcode}") from refusal
                raise
        else:
            raise Undeliverable(f"no {recipient.platform.value} channel is configured")


def _seconds(value: float | timedelta) -> float:
    """python-telegram-bot gives retry_after as int seconds or, opted in, a timedelta."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
