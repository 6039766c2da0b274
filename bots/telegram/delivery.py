"""Sending one outbox message to a Telegram chat, and what the Bot API's errors mean to
the dispatcher: wait, give up, or retry with backoff."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from datetime import timedelta

from telegram import InputMediaDocument
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bots.telegram.channel import TelegramChannel
from core.channel.io import Reply
from core.channel.outbox import MadeReport, RetryLater, Undeliverable

# The Bot API takes uploads of up to 50 MB from a bot.
UPLOAD_LIMIT = 50 * 1024 * 1024


@asynccontextmanager
async def _translated(channel: TelegramChannel) -> AsyncIterator[None]:
    try:
        yield
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


async def deliver(channel: TelegramChannel, chat_id: str, reply: Reply) -> None:
    async with _translated(channel):
        await channel.send(int(chat_id), [reply])


async def deliver_report(
    channel: TelegramChannel, chat_id: str, heading: Reply, report: MadeReport
) -> None:
    """The report's files as one album, the heading and the targets as its caption: one
    call, so a retry never sends half of it twice."""
    caption = f"{heading.text}\n\n{report.summary}"
    if sum(f.stat().st_size for f in report.files) > UPLOAD_LIMIT or len(report.files) < 2:
        await deliver(channel, chat_id, Reply(f"{caption}\n\n{report.where}"))
        return
    with ExitStack() as files:
        album = [
            InputMediaDocument(
                files.enter_context(path.open("rb")),
                filename=path.name,
                caption=caption if i == 0 else None,
            )
            for i, path in enumerate(report.files)
        ]
        async with _translated(channel):
            await channel.application.bot.send_media_group(int(chat_id), album)
