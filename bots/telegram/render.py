"""Core replies out, Telegram messages in: inline keyboards, the contact button, splits."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bots.text import split_continued, utf16_length
from core.channel.io import Option, Reply

MAX_TEXT = 4096
# Short labels sit two to a row; long ones get a row of their own.
_PAIR_LABEL_LIMIT = 12

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    text: str
    markup: Markup = None


def render(reply: Reply) -> list[OutgoingMessage]:
    """One reply as Telegram messages; a keyboard goes with the last piece."""
    pieces = split_continued(reply.text, MAX_TEXT, utf16_length, reply.continued)
    markup: Markup = None
    if reply.contact_button:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(reply.contact_button, request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    elif reply.options:
        markup = InlineKeyboardMarkup(_rows(reply.options))
    return [
        OutgoingMessage(piece, markup if i == len(pieces) - 1 else None)
        for i, piece in enumerate(pieces)
    ]


def _rows(options: tuple[Option, ...]) -> list[list[InlineKeyboardButton]]:
    rows: list[list[InlineKeyboardButton]] = []
    for option in options:
        button = InlineKeyboardButton(option.label, callback_data=option.key)
        last = rows[-1] if rows else None
        if (
            last is not None
            and len(last) == 1
            and len(option.label) <= _PAIR_LABEL_LIMIT
            and len(last[0].text) <= _PAIR_LABEL_LIMIT
        ):
            last.append(button)
        else:
            rows.append([button])
    return rows
