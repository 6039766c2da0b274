"""Telegram updates in, core inputs out."""

from __future__ import annotations

from telegram import Message, Update

from core.cases.classification import Channel
from core.channel.io import Choice, Incoming, Input, Media, SharedContact, Text, Unsupported
from core.identity import CustomerId, Platform

# What a person may send that the dialogue cannot take in, and how it answers each. A
# venue carries a location too: it is looked at first. Service messages (a pinned
# message, a timer changed) are none of these and get no answer.
_UNSUPPORTED = (
    ("sticker", "sticker"),
    ("venue", "location"),
    ("location", "location"),
    ("poll", "other"),
    ("dice", "other"),
    ("game", "other"),
    ("story", "other"),
)


def to_incoming(update: Update, bot_id: int) -> Incoming | None:
    """The core's view of an update; None for updates the intake does not handle
    (edits, channel posts, group service messages...)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    message: Input | None
    if update.callback_query is not None:
        message = Choice(update.callback_query.data or "")
    elif update.message is not None:
        message = _message_input(update.message, user.id)
    else:
        message = None
    if message is None:
        return None
    return Incoming(
        customer=CustomerId(Platform.TELEGRAM, str(user.id)),
        message=message,
        channel=Channel.PUBLIC_PLATFORM,
        language_hint=user.language_code,
        # update_id counts per bot, so the bot's id makes the key unique.
        delivery_key=f"telegram:{bot_id}:{update.update_id}",
    )


def _message_input(message: Message, user_id: int) -> Input | None:
    if message.text is not None:
        return Text(message.text)
    if message.contact is not None:
        contact = message.contact
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or None
        return SharedContact(contact.phone_number, name, is_own=contact.user_id == user_id)
    caption = message.caption
    if message.photo:
        # Telegram sends several sizes; the last is the largest.
        return Media("photo", message.photo[-1].file_id, caption)
    for kind in ("voice", "video", "document", "audio", "video_note"):
        attachment = getattr(message, kind)
        if attachment is not None:
            return Media(kind, attachment.file_id, caption)
    for field, kind in _UNSUPPORTED:
        if getattr(message, field, None) is not None:
            return Unsupported(kind)
    return None
