"""The Telegram webhook's gate: an update's shape is checked before anything reads it.

python-telegram-bot builds an `Update` from whatever JSON it is given: a wrong type either
raises somewhere deep inside it or, worse, passes through (a number where text belongs)
and fails later, inside the transaction, as a 500 that makes Telegram redeliver the
update forever. So every field the bot reads is checked here against the Bot API's
documented types and limits first; what fails is `Rejected` with the field's path.
Fields the bot does not read are left alone (Telegram adds new ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update

from bots.rejections import Rejected

INT64 = 2**63
TEXT_MAX = 4096  # a message's text, in characters
CAPTION_MAX = 1024
CALLBACK_DATA_BYTES = 64  # what the Bot API allows in a button's callback_data


class Shape:
    """One field's expected type and limits."""

    def check(self, value: Any, path: str) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Shape):
    low: int = -INT64
    high: int = INT64 - 1

    def check(self, value: Any, path: str) -> None:
        # bool is an int in Python, never in the Bot API.
        if not isinstance(value, int) or isinstance(value, bool):
            raise Rejected(f"{path}: not an integer")
        if not self.low <= value <= self.high:
            raise Rejected(f"{path}: out of range")


class Bool(Shape):
    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            raise Rejected(f"{path}: not a boolean")


@dataclass(frozen=True)
class Str(Shape):
    low: int = 0
    high: int = 256  # characters
    max_bytes: int | None = None  # in UTF-8, where the Bot API counts bytes
    choices: frozenset[str] | None = None

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise Rejected(f"{path}: not text")
        if len(value) < self.low:
            raise Rejected(f"{path}: empty")
        if len(value) > self.high:
            raise Rejected(f"{path}: too long")
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate: not text any store can keep
            raise Rejected(f"{path}: invalid characters") from None
        if "\x00" in value:  # PostgreSQL cannot store NUL in text
            raise Rejected(f"{path}: invalid characters")
        if self.max_bytes is not None and size > self.max_bytes:
            raise Rejected(f"{path}: too long")
        if self.choices is not None and value not in self.choices:
            raise Rejected(f"{path}: unknown value")


@dataclass(frozen=True)
class List(Shape):
    item: Shape
    high: int = 100

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise Rejected(f"{path}: not a list")
        if len(value) > self.high:
            raise Rejected(f"{path}: too long")
        for element in value:
            self.item.check(element, f"{path}[]")


@dataclass(frozen=True)
class Obj(Shape):
    required: Mapping[str, Shape]
    optional: Mapping[str, Shape]

    def check(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise Rejected(f"{path}: not an object")
        for name, shape in self.required.items():
            if name not in value:
                raise Rejected(f"{path}.{name}: missing")
            shape.check(value[name], f"{path}.{name}")
        for name, shape in self.optional.items():
            if name in value:
                shape.check(value[name], f"{path}.{name}")


def obj(required: Mapping[str, Shape], optional: Mapping[str, Shape] | None = None) -> Obj:
    return Obj(required, optional or {})


FILE = obj({"file_id": Str(1, 256), "file_unique_id": Str(1, 256)})
USER = obj(
    {"id": Int(), "is_bot": Bool(), "first_name": Str(0, 256)},
    {"last_name": Str(0, 256), "language_code": Str(0, 35), "username": Str(0, 64)},
)
CHAT = obj(
    {"id": Int(), "type": Str(choices=frozenset({"private", "group", "supergroup", "channel"}))}
)
CONTACT = obj(
    {"phone_number": Str(1, 64), "first_name": Str(0, 256)},
    {"last_name": Str(0, 256), "user_id": Int()},
)
BUTTON = obj({"text": Str(0, TEXT_MAX)}, {"callback_data": Str(0, 256)})
MESSAGE_FIELDS: dict[str, Shape] = {"message_id": Int(), "date": Int(0, 2**40), "chat": CHAT}
MESSAGE = obj(
    MESSAGE_FIELDS,
    {
        "from": USER,
        "text": Str(1, TEXT_MAX),
        "caption": Str(0, CAPTION_MAX),
        "contact": CONTACT,
        "photo": List(FILE),
        **dict.fromkeys(("voice", "video", "document", "audio", "video_note"), FILE),
    },
)
# The message a button belonged to: the bot's own prompt, of which the bot reads the text
# and the keyboard (to show what was chosen).
PROMPT = obj(
    MESSAGE_FIELDS,
    {
        "text": Str(0, TEXT_MAX),
        "reply_markup": obj({}, {"inline_keyboard": List(List(BUTTON))}),
    },
)
CALLBACK_QUERY = obj(
    {"id": Str(1, 256), "from": USER, "chat_instance": Str(0, 256)},
    {"data": Str(0, TEXT_MAX, max_bytes=CALLBACK_DATA_BYTES), "message": PROMPT},
)
UPDATE = obj({"update_id": Int(0)}, {"message": MESSAGE, "callback_query": CALLBACK_QUERY})


def read_update(payload: object, bot: Bot) -> Update:
    """The update in a webhook's JSON, or `Rejected` saying which field is wrong."""
    UPDATE.check(payload, "update")
    try:
        return Update.de_json(payload, bot)  # type: ignore[arg-type]
    except Exception as exc:
        # Parsing only (no I/O happens here): whatever it raises is about the input, in
        # a part of the update the bot does not read (an edited message, a chat member...).
        raise Rejected(f"update: not parseable ({type(exc).__name__})") from exc
