"""The Telegram bot: receives updates (polling or webhook), answers through the core.

Each update goes to `ConversationService.handle`, which drops redeliveries (by
update_id) in the same transaction that applies the update, so an update delivered
twice acts once in either mode. Replies are plain text (no parse mode: customers' own
words are echoed back and must never be read as markup).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Bot, BotCommand, CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bots.telegram.convert import to_incoming
from bots.telegram.render import MAX_TEXT, render
from bots.text import utf16_length
from core.case import Attachment
from core.conversation import ConversationService
from core.desk.service import DeskService
from core.dialogue.io import Reply
from core.identity import Platform
from core.messages import DEFAULT_LANGUAGE, LANGUAGES, language_from_code, t
from core.staff import ChatAddress

log = logging.getLogger("bots.telegram")

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
COMMANDS = (
    "start",
    "status",
    "mycases",
    "points",
    "redeem",
    "privacy",
    "language",
    "cancel",
    "help",
)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str


class TelegramChannel:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        service: ConversationService,
        *,
        desk: DeskService,
        clock: Callable[[], datetime],
        webhook: WebhookConfig | None = None,
    ) -> None:
        self.application = application
        self._service = service
        self._desk = desk
        self._clock = clock
        self.webhook = webhook
        application.add_handler(TypeHandler(Update, self._on_polled_update))

    @classmethod
    def build(
        cls,
        *,
        token: str,
        api_base_url: str,
        service: ConversationService,
        desk: DeskService,
        clock: Callable[[], datetime],
        webhook: WebhookConfig | None = None,
    ) -> TelegramChannel:
        base = api_base_url.rstrip("/")
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            # Keeps to the Bot API's overall and group limits; a 429 is not retried here
            # but reaches the dispatcher, which reschedules the message.
            # A bucket of one, refilled 30 times a second: never a burst above the limit
            # (the default bucket of 30 lets about 60 through in the first second).
            .rate_limiter(
                AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=0)
            )
        )
        if webhook is not None:
            builder = builder.updater(None)
        return cls(builder.build(), service, desk=desk, clock=clock, webhook=webhook)

    async def start(self, *, receive: bool = True) -> None:
        """Connect; with `receive` False only send (a scheduler process's dispatcher)."""
        await self.application.initialize()
        if not receive:
            return
        await self._register_commands()
        if self.webhook is not None:
            await self.application.bot.set_webhook(
                self.webhook.url,
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            updater = self.application.updater
            if updater is None:
                raise RuntimeError("polling needs an updater")
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.application.start()
        log.info(
            "telegram channel started", extra={"mode": "webhook" if self.webhook else "polling"}
        )

    async def stop(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def handle_update(self, update: Update) -> None:
        incoming = to_incoming(update, self.application.bot.id)
        query = update.callback_query
        if query is not None:
            await _answer(query)  # always, and at once: the customer's button stops spinning
        if incoming is None:
            return
        chat = update.effective_chat
        if chat is None:
            return
        now = self._clock()
        # Replies are queued in the outbox with the update's effects and sent by the
        # dispatcher: a crash after the commit delays them, never loses them.
        reply_to = ChatAddress(Platform.TELEGRAM, str(chat.id))
        outcome = await self._desk.handle(incoming, now, reply_to=reply_to)
        if outcome is None:
            if chat.type != chat.PRIVATE:
                return  # in team groups only staff commands are answered
            outcome = await self._service.handle(incoming, now, reply_to=reply_to)
        if outcome.redelivered:
            log.info("redelivered update ignored", extra={"update_id": update.update_id})
            return
        if query is not None:
            await _mark_choice(query)

    async def send(self, chat_id: int, replies: list[Reply]) -> None:
        bot = self.application.bot
        for reply in replies:
            for message in render(reply):
                await bot.send_message(chat_id, message.text, reply_markup=message.markup)
            if reply.media_platform is Platform.TELEGRAM:
                for attachment in reply.media:
                    await _send_media(bot, chat_id, attachment)

    async def _on_polled_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        try:
            await self.handle_update(update)
        except Exception:
            # Polling has no retry: tell the customer rather than stay silent.
            log.exception("update failed", extra={"update_id": update.update_id})
            await self._apologise(update)

    async def _apologise(self, update: Update) -> None:
        user, chat = update.effective_user, update.effective_chat
        if chat is None:
            return
        language = language_from_code(user.language_code if user else None)
        try:
            await self.application.bot.send_message(chat.id, t(language, "error.generic"))
        except TelegramError:
            log.warning("could not apologise", extra={"update_id": update.update_id})

    async def _register_commands(self) -> None:
        for language in LANGUAGES:
            commands = [BotCommand(name, t(language, f"command.{name}")) for name in COMMANDS]
            # The default list (no language code) is in the default language.
            code = None if language == DEFAULT_LANGUAGE else language
            await self.application.bot.set_my_commands(commands, language_code=code)


async def _send_media(bot: Bot, chat_id: int, attachment: Attachment) -> None:
    """Send a customer's photo, voice note or file again by its file_id (no download)."""
    senders = {
        "photo": bot.send_photo,
        "voice": bot.send_voice,
        "video": bot.send_video,
        "audio": bot.send_audio,
        "video_note": bot.send_video_note,
    }
    send = senders.get(attachment.kind, bot.send_document)
    await send(chat_id, attachment.ref)


async def _answer(query: CallbackQuery) -> None:
    try:
        await query.answer()
    except TelegramError:
        # Already answered (a redelivery) or too old: nothing the customer would notice.
        log.debug("callback query not answered", extra={"callback": query.id})


async def _mark_choice(query: CallbackQuery) -> None:
    """Edit the prompt in place: show what was chosen and take its buttons away."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    text = getattr(message, "text", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return
    label = next(
        (b.text for row in markup.inline_keyboard for b in row if b.callback_data == query.data),
        None,
    )
    try:
        if label and text and utf16_length(text) + utf16_length(label) + 3 <= MAX_TEXT:
            await query.edit_message_text(f"{text}\n» {label}")
        else:
            await query.edit_message_reply_markup(None)
    except TelegramError:
        log.debug("prompt not edited", extra={"callback": query.id})
