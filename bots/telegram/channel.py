"""The Telegram bot: receives updates (polling or webhook), answers through the core.

Each update goes to the core's `Router`, whose handlers drop redeliveries (by
update_id) in the same transaction that applies the update, so an update delivered
twice acts once in either mode. Replies are plain text (no parse mode: customers' own
words are echoed back and must never be read as markup).

Connecting (getMe, the command lists, setWebhook or deleteWebhook, then polling) runs
under a `Supervisor`: a Bot API that is unreachable or stalls, at start or later, makes
the channel wait and try again with backoff while the rest of the service runs on.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, BotCommand, CallbackQuery, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bots.supervisor import ChannelState, Supervisor
from bots.telegram.convert import to_incoming
from bots.telegram.render import MAX_TEXT, render
from bots.telegram.request import CountingRequest
from bots.text import utf16_length
from bots.web import WEB_REF
from core.cases.values import Attachment
from core.channel.answer import Outcome
from core.channel.io import Reply
from core.channel.routing import Router
from core.customers.dialogue.commands import LISTED
from core.desk.staff import ChatAddress
from core.identity import Platform
from core.messages import DEFAULT_LANGUAGE, LANGUAGES, language_from_code, t
from telemetry.handling import ERROR, HANDLED, handling
from telemetry.requests import finish

log = logging.getLogger("bots.telegram")

CHANNEL = "telegram"

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
# How long a getUpdates waits for updates on Telegram's side before answering empty.
LONG_POLL = timedelta(seconds=10)


# A file a customer uploaded on the web, by its id: (content type, content), or None when
# it is gone (the customer asked to be forgotten).
WebFiles = Callable[[str], Awaitable[tuple[str, bytes] | None]]


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str


class TelegramChannel:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        router: Router,
        *,
        clock: Callable[[], datetime],
        webhook: WebhookConfig | None = None,
        retry_s: float = 1.0,
        on_up: Callable[[], None] | None = None,
    ) -> None:
        """`retry_s`: the first pause before connecting again after a failure (it doubles,
        up to a minute); `on_up` is called whenever the channel (re)connects."""
        self.application = application
        # Set when the web channel runs: staff get web uploads as files.
        self.web_files: WebFiles | None = None
        self._router = router
        self._clock = clock
        self.webhook = webhook
        token = application.bot.token
        self.supervisor = Supervisor(
            "telegram", clock=clock, base_s=retry_s, secrets=(token,), on_up=on_up
        )
        # The bot's id leads its token; knowing it without getMe lets webhook updates be
        # handled while the Bot API is out of reach.
        prefix = token.split(":", 1)[0]
        self._bot_id = int(prefix) if prefix.isdigit() else None
        self._receive = True
        self._initialized = False
        self._commands_registered = False
        self._offset: int | None = None  # confirms the updates polled so far
        application.add_handler(TypeHandler(Update, self._on_polled_update))

    @classmethod
    def build(
        cls,
        *,
        token: str,
        api_base_url: str,
        router: Router,
        clock: Callable[[], datetime],
        webhook: WebhookConfig | None = None,
        timeout_s: float = 10.0,
        retry_s: float = 1.0,
        on_up: Callable[[], None] | None = None,
    ) -> TelegramChannel:
        """`timeout_s` bounds connecting to, writing to and waiting for the Bot API, so
        a stalled server fails a call instead of holding it forever."""
        base = api_base_url.rstrip("/")
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            # Polling is this channel's own loop (see `_poll`), restarted by its supervisor.
            .updater(None)
            # Clients that count the Bot API's errors; the long poll's keeps the library's
            # default timeouts, as before.
            .request(
                CountingRequest(
                    connect_timeout=timeout_s, read_timeout=timeout_s, write_timeout=timeout_s
                )
            )
            .get_updates_request(CountingRequest(connection_pool_size=1))
            # Keeps to the Bot API's overall and group limits; a 429 is not retried here
            # but reaches the dispatcher, which reschedules the message.
            # A bucket of one, refilled 30 times a second: never a burst above the limit
            # (the default bucket of 30 lets about 60 through in the first second).
            .rate_limiter(
                AIORateLimiter(overall_max_rate=1, overall_time_period=1 / 30, max_retries=0)
            )
        )
        return cls(
            builder.build(),
            router,
            clock=clock,
            webhook=webhook,
            retry_s=retry_s,
            on_up=on_up,
        )

    async def start(self, *, receive: bool = True) -> None:
        """Connect in the background; return once the first attempt came up or failed
        (it goes on trying). With `receive` False only send (a scheduler's dispatcher)."""
        self._receive = receive
        self.supervisor.start(self._connect)
        await self.supervisor.settled()

    async def stop(self) -> None:
        await self.supervisor.stop()
        if self._offset is not None and self.supervisor.health.state is ChannelState.UP:
            # Confirm what was polled, or Telegram hands it out again after a restart.
            with contextlib.suppress(TelegramError):
                await self.application.bot.get_updates(
                    offset=self._offset, timeout=timedelta(0), allowed_updates=ALLOWED_UPDATES
                )
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self.application.bot.shutdown()  # its HTTP clients, if getMe never succeeded

    async def _connect(self) -> None:
        """The start-up steps, run again by the supervisor after every failure."""
        bot = self.application.bot
        if self._initialized:
            await bot.get_me()  # a sign of life: initialize() asks only once
        else:
            await self.application.initialize()
            self._initialized = True
        if not self._receive:
            return
        if not self._commands_registered:
            await self._register_commands()
            self._commands_registered = True
        if self.webhook is not None:
            await bot.set_webhook(
                self.webhook.url,
                secret_token=self.webhook.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            await self._start_application()
            return
        await bot.delete_webhook()  # getUpdates is refused while a webhook is set
        await self._start_application()
        await self._poll()

    async def _start_application(self) -> None:
        if not self.application.running:
            await self.application.start()
        log.info(
            "telegram channel started", extra={"mode": "webhook" if self.webhook else "polling"}
        )

    async def _poll(self) -> None:
        """Long-poll getUpdates until a call fails; the supervisor then starts over. The
        first call does not wait, so the channel is up as soon as Telegram answers."""
        bot = self.application.bot
        wait = timedelta(0)
        while True:
            updates = await bot.get_updates(
                offset=self._offset, timeout=wait, allowed_updates=ALLOWED_UPDATES
            )
            self.supervisor.up()
            wait = LONG_POLL
            for update in updates:
                await self.application.update_queue.put(update)
            if updates:
                # A redelivered update may carry an id below the offset: never go back.
                self._offset = max(self._offset or 0, updates[-1].update_id + 1)

    async def handle_update(self, update: Update) -> None:
        incoming = to_incoming(update, self._bot_id or self.application.bot.id)
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
        outcome: Outcome | None
        if chat.type == chat.PRIVATE:
            outcome = await self._router.handle(incoming, now, reply_to=reply_to)
        else:
            # In team groups only staff commands are answered.
            outcome = await self._router.handle_staff(incoming, now, reply_to=reply_to)
            if outcome is None:
                return
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
            elif reply.media_platform is Platform.WEB and self.web_files is not None:
                for attachment in reply.media:
                    await self._send_web_file(bot, chat_id, attachment)

    async def _send_web_file(self, bot: Bot, chat_id: int, attachment: Attachment) -> None:
        """A web upload, which Telegram has never seen, sent as the file itself."""
        if self.web_files is None or not attachment.ref.startswith(WEB_REF):
            return
        file_id = attachment.ref.removeprefix(WEB_REF)
        found = await self.web_files(file_id)
        if found is None:
            return
        content_type, content = found
        extension = content_type.rsplit("/", 1)[-1]
        upload = InputFile(content, filename=f"{file_id}.{extension}")
        if attachment.kind == "photo" and content_type.startswith("image/"):
            await bot.send_photo(chat_id, upload, caption=attachment.caption)
        else:
            await bot.send_document(chat_id, upload, caption=attachment.caption)

    async def _on_polled_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        # A polled update is a request of its own: its id ties its log lines and replies.
        with handling() as current:
            try:
                await self.handle_update(update)
            except Exception:
                # Polling has no retry: tell the customer rather than stay silent.
                log.exception("update failed", extra={"update_id": update.update_id})
                await self._apologise(update)
                finish(CHANNEL, current, ERROR, update_id=update.update_id)
            else:
                finish(CHANNEL, current, HANDLED, update_id=update.update_id)

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
            if "-" in language:
                continue  # Telegram takes two-letter codes only: "zh-hant" sees the default list
            # The default list (no language code) is in the default language.
            code = None if language == DEFAULT_LANGUAGE else language
            await self.application.bot.set_my_commands(bot_commands(language), language_code=code)


def bot_commands(language: str) -> list[BotCommand]:
    """The customer commands the chat lists, as the dialogue declares them."""
    return [BotCommand(name, t(language, description)) for name, description in LISTED]


async def _send_media(bot: Bot, chat_id: int, attachment: Attachment) -> None:
    """Send a customer's photo, voice note or file again by its file_id (no download)."""
    senders: dict[str, Callable[[int, str], Awaitable[object]]] = {
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
