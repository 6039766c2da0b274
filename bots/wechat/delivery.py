"""Pushing one outbox message to a WeChat follower, and what WeChat's errors mean to the
dispatcher: give up, or retry with backoff."""

from __future__ import annotations

from dataclasses import replace

from wechatpy.exceptions import WeChatClientException

from bots.wechat.channel import WeChatChannel
from bots.wechat.client import TokenUnavailable
from bots.wechat.convert import as_text
from bots.wechat.push import Push
from core.channel.io import Reply
from core.channel.outbox import MadeReport, OutboundMessage, Undeliverable

# WeChat answers that retrying cannot fix: content too long, bad openid, not following.
_FINAL = frozenset({40003, 43004, 45002})


async def deliver(channel: WeChatChannel, openid: str, message: OutboundMessage) -> None:
    reply = message.reply
    try:
        await channel.pusher.push(
            openid, Push(as_text([reply]), message.case_number, continued=reply.continued)
        )
    except TokenUnavailable as error:  # retried as usual; the next ones wait
        channel.supervisor.lost(error)
        raise
    except WeChatClientException as refusal:
        if refusal.errcode in _FINAL:
            raise Undeliverable(f"errcode {refusal.errcode}") from refusal
        raise


async def deliver_report(
    channel: WeChatChannel, openid: str, message: OutboundMessage, report: MadeReport
) -> None:
    """WeChat's customer-service messages carry no files: the heading, the targets and
    where the files can be fetched, as one text."""
    text = f"{message.reply.text}\n\n{report.summary}\n\n{report.where}"
    await deliver(channel, openid, replace(message, reply=Reply(text)))
