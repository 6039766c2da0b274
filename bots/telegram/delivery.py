"""Sending one outbox message to a Telegram chat, and what the Bot API's errors mean to
the dispatcher: wait, give up, or retry with backoff."""

from __future__ import annotations

from datetime import timedelta

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bots.telegram.channel import TelegramChannel
from core.channel.io import Reply
from core.channel.outbox import RetryLater, Undeliverable


async def deliver(channel: TelegramChannel, chat_id: str, reply: Reply) -> None:
    try:
        await channel.send(int(chat_id), [reply])
    except RetryAfter as wait:
        # python-telegram-bot gives int seconds or, opted in, a timedelta.
        after = wait.retry_after
        seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
        raise RetryLater(seconds, str(wait)) from wait
    except (Forbidden, BadRequest) as refusal:
        raise Undeliverable(str(refusal)) from refusal
    except NetworkError as error:  # timeouts and 5xx too; retried as usual
        channel.supervisor.lost(error)
        raise
