"""Delivery of outbox messages to the recipient's platform (the dispatcher's backend)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bots.telegram import delivery as telegram
from bots.telegram.channel import TelegramChannel
from bots.web.delivery import WebDelivery
from bots.wechat import delivery as wechat
from bots.wechat.channel import WeChatChannel
from core.channel.outbox import MadeReport, OutboundMessage, ReportOrder, Undeliverable
from core.identity import CustomerId, Platform

ReportMaker = Callable[[ReportOrder], Awaitable[MadeReport]]


class ChannelDelivery:
    """Hands each message to its recipient's channel. The channels are attached once
    built, since they in turn need the services that queue messages for this; so is
    what makes the reports that some messages carry (`OutboundMessage.report`)."""

    def __init__(self) -> None:
        self.telegram: TelegramChannel | None = None
        self.wechat: WeChatChannel | None = None
        self.web: WebDelivery | None = None
        self.reports: ReportMaker | None = None

    def down_platforms(self) -> frozenset[str]:
        """Platforms whose channel cannot reach them now: their messages wait, unclaimed,
        and go out once the channel's supervisor has it up again."""
        channels = ((Platform.TELEGRAM, self.telegram), (Platform.WECHAT, self.wechat))
        return frozenset(p.value for p, c in channels if c is not None and c.supervisor.down)

    async def deliver(self, message: OutboundMessage) -> None:
        recipient = message.recipient
        address = recipient.user_id if isinstance(recipient, CustomerId) else recipient.chat_id
        report = None
        if message.report is not None:
            if self.reports is None:
                raise Undeliverable("this process makes no reports")
            # Made again on a retry: the figures are then as of the retry.
            report = await self.reports(message.report)
        if recipient.platform is Platform.TELEGRAM and self.telegram is not None:
            if report is None:
                await telegram.deliver(self.telegram, address, message.reply)
            else:
                await telegram.deliver_report(self.telegram, address, message.reply, report)
        elif recipient.platform is Platform.WECHAT and self.wechat is not None:
            if report is None:
                await wechat.deliver(self.wechat, address, message)
            else:
                await wechat.deliver_report(self.wechat, address, message, report)
        elif recipient.platform is Platform.WEB and self.web is not None:
            await self.web.deliver(message)
        else:
            raise Undeliverable(f"no {recipient.platform.value} channel is configured")
