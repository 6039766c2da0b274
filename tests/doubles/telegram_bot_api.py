"""A loopback double of the Telegram Bot API HTTP server, for tests.

The chatbot talks to Telegram through python-telegram-bot, which speaks plain HTTP to
``https://api.telegram.org/bot<TOKEN>/<method>``. Pointing the library's ``base_url`` and
``base_file_url`` at :class:`BotApiDouble` lets tests run the real library, the real HTTP
client and the real wire format, while the double:

* answers the Bot API methods the bot uses, with the real JSON envelope
  (``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ...}``);
* refuses what the real server refuses (over-long texts, over-long ``callback_data``, broken
  HTML/MarkdownV2, bad command lists, unknown callback queries, ...) with the real error texts,
  so that a bug which would only show in production shows in a test instead;
* records every call and every message the bot sends, and lets a test await them without sleeps;
* queues inbound updates (texts, contacts, photos, documents, voice notes, button presses) for
  ``getUpdates`` long polling, or hands them back for a test to post to a webhook;
* injects faults per method: HTTP 5xx, 429 flood control with ``retry_after``, slow answers;
* plays outages: refusing connections (nothing listens on its port, which it keeps), and
  holding requests unanswered until the test releases them (a stalled server).

Typical use::

    async with BotApiDouble() as api:
        app = (
            Application.builder()
            .token(api.token)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )
        ...
        api.user_text(1001, "/start")
        reply = await api.wait_for_message(1001)

Everything runs on the test's event loop; nothing here is thread-safe, nor needs to be.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, TypeVar

from aiohttp import ClientSession, ClientTimeout, web

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotApiDouble",
    "Fault",
    "SentMessage",
    "UploadedFile",
    "WebhookSettings",
]

JSONDict = dict[str, Any]
_T = TypeVar("_T")

DEFAULT_TOKEN = "123456789:TEST-double-token-not-a-real-bot"

# Limits of the real Bot API (https://core.telegram.org/bots/api).
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPDATES_PER_CALL = 100

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
QUERY_ID_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

# Without an explicit allowed_updates list the server leaves out these three kinds.
_OPT_IN_UPDATE_KINDS = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)

# python-telegram-bot sends form fields, where every value is a string and anything that is not
# a string was JSON-encoded; the server decodes by the field's declared type. JSON bodies come
# typed already. These tables give the types of the fields this double looks at.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
_INT_FIELDS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
        "cache_time",
        "user_id",
        "from_chat_id",
        "duration",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_CHAT_ID_FIELDS = frozenset({"chat_id", "from_chat_id"})

_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_INTEGER = re.compile(r"-?\d+")


# --------------------------------------------------------------------------------------------
# Records a test reads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, as the bot uploaded it."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


def _document(stored: _StoredFile, upload: UploadedFile | None) -> JSONDict:
    """The Document object of a file sent as a document."""
    document: JSONDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if upload is not None and upload.filename:
        document["file_name"] = upload.filename
    if upload is not None and upload.content_type:
        document["mime_type"] = upload.content_type
    return document


@dataclass
class ApiCall:
    """One HTTP request to ``/bot<TOKEN>/<method>`` and how the double answered it."""

    method: str
    params: JSONDict
    files: dict[str, UploadedFile]
    status: int
    response: JSONDict | None
    http_method: str
    content_type: str
    at: float  # event-loop clock, for measuring gaps between calls

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK


@dataclass
class SentMessage:
    """A message the bot sent, as the chat would show it (kept current through edits)."""

    message_id: int
    chat_id: int
    method: str
    text: str | None  # the text or caption exactly as sent, markup included
    plain_text: str | None  # the same after parse_mode was applied, as the user reads it
    parse_mode: str | None
    entities: list[JSONDict]
    reply_markup: JSONDict | None
    params: JSONDict
    message: JSONDict  # the Message object the double returned
    sent_at: dt.datetime
    clock: float  # event-loop clock when it was sent
    file: bytes | None = None
    deleted: bool = False
    edits: list[JSONDict] = field(default_factory=list)  # earlier versions of ``message``

    @property
    def buttons(self) -> list[JSONDict]:
        """Inline keyboard buttons, row by row, flattened."""
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]

    @property
    def button_texts(self) -> list[str]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [b if isinstance(b, str) else b.get("text", "") for row in rows for b in row]


@dataclass
class WebhookSettings:
    """What the bot last passed to setWebhook."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int
    ip_address: str | None
    has_custom_certificate: bool


@dataclass(frozen=True)
class Fault:
    """A scripted answer for one request.

    ``status`` None means "answer normally, but only after ``delay`` seconds". ``body`` replaces
    the JSON error envelope, e.g. with the HTML page a real 502 from Telegram's front end has.
    """

    status: int | None = 502
    description: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    body: bytes | None = None

    def error(self) -> _ApiError:
        assert self.status is not None
        description = self.description
        retry_after = self.retry_after
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        if description is None:
            try:
                description = HTTPStatus(self.status).phrase
            except ValueError:
                description = "Error"
        return _ApiError(self.status, description, retry_after=retry_after)


class _ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSONDict:
        payload: JSONDict = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return payload


def _bad_request(text: str) -> _ApiError:
    return _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {text}")


@dataclass
class _Pending:
    update: JSONDict
    delivered: bool = False


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


@dataclass
class _User:
    id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None

    def to_dict(self) -> JSONDict:
        user: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user


# --------------------------------------------------------------------------------------------
# Formatting: parse_mode handling close enough to the server's to catch the usual mistakes
# (unescaped user text inside HTML or MarkdownV2 is the classic one).
# --------------------------------------------------------------------------------------------


class _EntityError(Exception):
    pass


def _utf16_len(text: str) -> int:
    # Entity offsets and lengths count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    # The server reports positions in parse errors as UTF-8 byte offsets.
    return len(text[:index].encode("utf-8"))


class _PlainText:
    def __init__(self) -> None:
        self._parts: list[str] = []
        self.utf16 = 0

    def add(self, piece: str) -> None:
        self._parts.append(piece)
        self.utf16 += _utf16_len(piece)

    def text(self) -> str:
        return "".join(self._parts)


def _entity(kind: str, start: int, end: int, **extra: Any) -> JSONDict | None:
    if end <= start:
        return None
    return {"type": kind, "offset": start, "length": end - start, **extra}


def _sorted_entities(entities: Iterable[JSONDict | None]) -> list[JSONDict]:
    found = [e for e in entities if e is not None]
    return sorted(found, key=lambda e: (e["offset"], -e["length"]))


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Only these named character references are understood; all numeric ones are.
_HTML_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_char_ref(ref: str) -> str:
    if ref in _HTML_NAMED:
        return _HTML_NAMED[ref]
    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"


def _unescape_html(value: str) -> str:
    return _HTML_CHAR_REF.sub(lambda m: _decode_char_ref(m.group(1)), value)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int
    byte_offset: int


def _parse_html_attrs(text: str, i: int, tag: str, offset: int) -> tuple[dict[str, str], int]:
    """Read attributes up to and including '>'; returns them and the index after '>'."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise _EntityError(f"Unclosed start tag at byte offset {offset}")
        if text[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and (text[i].isalnum() or text[i] in "-_"):
            i += 1
        name = text[start:i].lower()
        if not name:
            raise _EntityError(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        while i < n and text[i].isspace():
            i += 1
        value = ""
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i].isspace():
                i += 1
            if i < n and text[i] in "\"'":
                end = text.find(text[i], i + 1)
                if end == -1:
                    raise _EntityError(f"Unclosed start tag at byte offset {offset}")
                value, i = text[i + 1 : end], end + 1
            else:
                start = i
                while i < n and not text[i].isspace() and text[i] != ">":
                    i += 1
                value = text[start:i]
        attrs[name] = _unescape_html(value)


def _close_html_tag(tag: _OpenTag, end: int, parent: _OpenTag | None) -> JSONDict | None:
    kind = _HTML_TAGS[tag.name]
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return None
        mention = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if mention:
            return _entity("text_mention", tag.start, end, user={"id": int(mention.group(1))})
        return _entity(kind, tag.start, end, url=href)
    if tag.name == "code" and parent is not None and parent.name == "pre":
        # <pre><code class="language-x"> is one pre entity with a language.
        language = tag.attrs.get("class", "")
        if language.startswith("language-"):
            parent.attrs["\0language"] = language.removeprefix("language-")
        return None
    if tag.name == "pre":
        language = tag.attrs.get("\0language", "")
        extra = {"language": language} if language else {}
        return _entity(kind, tag.start, end, **extra)
    if tag.name == "blockquote" and "expandable" in tag.attrs:
        return _entity("expandable_blockquote", tag.start, end)
    if tag.name == "tg-emoji":
        return _entity(kind, tag.start, end, custom_emoji_id=tag.attrs.get("emoji-id", ""))
    return _entity(kind, tag.start, end)


def _parse_html(text: str) -> tuple[str, list[JSONDict]]:
    plain = _PlainText()
    stack: list[_OpenTag] = []
    entities: list[JSONDict | None] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            ref = _HTML_CHAR_REF.match(text, i)
            if ref:
                plain.add(_decode_char_ref(ref.group(1)))
                i = ref.end()
            else:
                plain.add("&")
                i += 1
            continue
        if char != "<":
            plain.add(char)
            i += 1
            continue
        offset = _byte_offset(text, i)
        if text.startswith("</", i):
            end = text.find(">", i)
            if end == -1:
                raise _EntityError(f"Unclosed end tag at byte offset {offset}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _EntityError(f"Unexpected end tag at byte offset {offset}")
            tag = stack.pop()
            if name and name != tag.name:
                raise _EntityError(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                    f'found "</{name}>"'
                )
            entities.append(_close_html_tag(tag, plain.utf16, stack[-1] if stack else None))
            i = end + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] not in ">/":
            j += 1
        if j >= n:
            raise _EntityError(f"Unclosed start tag at byte offset {offset}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise _EntityError(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs, i = _parse_html_attrs(text, j, name, offset)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(_OpenTag(name, attrs, plain.utf16, offset))
    if stack:
        raise _EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return plain.text(), _sorted_entities(entities)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_STYLES = {
    "*": ("bold", "Bold"),
    "_": ("italic", "Italic"),
    "__": ("underline", "Underline"),
    "~": ("strikethrough", "Strikethrough"),
    "||": ("spoiler", "Spoiler"),
    "[": ("text_link", "TextUrl"),
    "![": ("custom_emoji", "CustomEmoji"),
}


def _mdv2_read_until(text: str, i: int, closer: str) -> tuple[str, int] | None:
    """Read escaped content up to ``closer``; returns it and the index after the closer."""
    out: list[str] = []
    n = len(text)
    while i < n:
        if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.append(text[i + 1])
            i += 2
            continue
        if text.startswith(closer, i):
            return "".join(out), i + len(closer)
        out.append(text[i])
        i += 1
    return None


def _parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    plain = _PlainText()
    stack: list[tuple[str, int, int]] = []  # marker, start (UTF-16), byte offset
    entities: list[JSONDict | None] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            plain.add(text[i + 1])
            i += 2
            continue
        if char not in _MDV2_RESERVED:
            plain.add(char)
            i += 1
            continue
        offset = _byte_offset(text, i)
        if char == "`":
            is_pre = text.startswith("```", i)
            fence = "```" if is_pre else "`"
            found = _mdv2_read_until(text, i + len(fence), fence)
            if found is None:
                kind = "Pre" if is_pre else "Code"
                raise _EntityError(f"Can't find end of {kind} entity at byte offset {offset}")
            content, i = found
            extra: JSONDict = {}
            if is_pre and "\n" in content:
                language, content = content.split("\n", 1)
                if language.strip():
                    extra["language"] = language.strip()
            start = plain.utf16
            plain.add(content)
            entities.append(_entity("pre" if is_pre else "code", start, plain.utf16, **extra))
            continue
        if char == ">" and (i == 0 or text[i - 1] == "\n"):
            # A quotation line marker; the quote itself is not tracked.
            i += 1
            continue
        if char == "[" or text.startswith("![", i):
            marker = "[" if char == "[" else "!["
            stack.append((marker, plain.utf16, offset))
            i += len(marker)
            continue
        if char == "]" and stack and stack[-1][0] in ("[", "!["):
            marker, start, start_offset = stack.pop()
            i += 1
            if not text.startswith("(", i):
                continue
            found = _mdv2_read_until(text, i + 1, ")")
            if found is None:
                raise _EntityError(f"Can't find end of a URL at byte offset {start_offset}")
            url, i = found
            if marker == "[":
                entities.append(_entity("text_link", start, plain.utf16, url=url))
            else:
                emoji_id = url.removeprefix("tg://emoji?id=")
                entities.append(
                    _entity("custom_emoji", start, plain.utf16, custom_emoji_id=emoji_id)
                )
            continue
        marker = "__" if text.startswith("__", i) else "||" if text.startswith("||", i) else char
        if marker in ("*", "_", "__", "~", "||"):
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                entities.append(_entity(_MDV2_STYLES[marker][0], start, plain.utf16))
            elif marker == "__" and stack and stack[-1][0] == "_":
                # "___" closes an italic run opened inside an underline one.
                marker = "_"
                _, start, _ = stack.pop()
                entities.append(_entity("italic", start, plain.utf16))
            else:
                stack.append((marker, plain.utf16, offset))
            i += len(marker)
            continue
        raise _EntityError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if stack:
        marker, _, offset = stack[-1]
        name = _MDV2_STYLES[marker][1]
        raise _EntityError(f"Can't find end of {name} entity at byte offset {offset}")
    return plain.text(), _sorted_entities(entities)


def _parse_markdown_legacy(text: str) -> tuple[str, list[JSONDict]]:
    plain = _PlainText()
    entities: list[JSONDict | None] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            plain.add(text[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            plain.add(char)
            i += 1
            continue
        offset = _byte_offset(text, i)
        error = _EntityError(f"Can't find end of the entity starting at byte offset {offset}")
        start = plain.utf16
        if char == "[":
            close = text.find("]", i + 1)
            if close == -1:
                raise error
            label = text[i + 1 : close]
            plain.add(label)
            if text.startswith("(", close + 1):
                url_end = text.find(")", close + 2)
                if url_end == -1:
                    raise error
                url = text[close + 2 : url_end]
                entities.append(_entity("text_link", start, plain.utf16, url=url))
                i = url_end + 1
            else:
                i = close + 1
            continue
        fence = "```" if text.startswith("```", i) else char
        close = text.find(fence, i + len(fence))
        if close == -1:
            raise error
        plain.add(text[i + len(fence) : close])
        kind = {"```": "pre", "`": "code", "*": "bold", "_": "italic"}[fence]
        entities.append(_entity(kind, start, plain.utf16))
        i = close + len(fence)
    return plain.text(), _sorted_entities(entities)


def _render(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JSONDict]]:
    """Apply parse_mode like the server; returns the text users see and its entities."""
    if isinstance(entities, list):
        # Explicit entities win over parse_mode.
        return text, entities
    mode = (parse_mode or "").lower()
    parsers: dict[str, Callable[[str], tuple[str, list[JSONDict]]]] = {
        "html": _parse_html,
        "markdownv2": _parse_markdown_v2,
        "markdown": _parse_markdown_legacy,
    }
    if not mode:
        return text, []
    if mode not in parsers:
        raise _bad_request("unsupported parse_mode")
    try:
        return parsers[mode](text)
    except _EntityError as err:
        raise _bad_request(f"can't parse entities: {err}") from None


# --------------------------------------------------------------------------------------------
# The double
# --------------------------------------------------------------------------------------------

_Handler = Callable[[JSONDict, dict[str, UploadedFile]], Awaitable[Any]]


@dataclass
class _Described:
    """A successful result that also carries the ``description`` field some methods return."""

    result: Any
    description: str


class BotApiDouble:
    """An in-process Telegram Bot API server on 127.0.0.1 for python-telegram-bot to talk to.

    Private chats are modelled as Telegram models them: the chat id equals the user id. Message
    ids come from one increasing sequence shared by what users send and what the bot sends.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "feedback_desk_test_bot",
        bot_first_name: str = "Feedback Desk",
        require_started_chats: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        """``require_started_chats`` makes sends to users who never wrote to the bot fail with
        403, as they do in production."""
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.require_started_chats = require_started_chats
        self._host = host
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False
        # Replaced on every state change; waiters take the current one and wait on it.
        self._changed = asyncio.Event()

        self._calls: list[ApiCall] = []
        # Requests that arrived, answered or not (a stalled one is in flight until then).
        self._arrivals: dict[str, int] = {}
        self._call_cursor: dict[str, int] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._holds: dict[str, asyncio.Event] = {}

        self._users: dict[int, _User] = {}
        self._started_chats: set[int] = set()
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._sent: list[SentMessage] = []
        self._sent_by_chat: dict[int, list[SentMessage]] = {}
        self._message_cursor: dict[int, int] = {}
        self._message_ids = itertools.count(1)

        self._update_ids = itertools.count(10_001)
        self._pending: list[_Pending] = []
        self._confirmed: set[int] = set()
        self._dropped: list[JSONDict] = []
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._parked_polls = 0

        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._callbacks: dict[str, JSONDict | None] = {}

        self._file_numbers = itertools.count(1)
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}

        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.webhook: WebhookSettings | None = None

        self._methods: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("logOut", self._log_out),
                ("close", self._close),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("answerCallbackQuery", self._answer_callback_query),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("sendPhoto", self._send_photo),
                ("sendDocument", self._send_document),
                ("sendMediaGroup", self._send_media_group),
                ("sendChatAction", self._send_chat_action),
                ("getFile", self._get_file),
            )
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> BotApiDouble:
        """Listen on a free loopback port; after `stop`, on the same port again."""
        if self._runner is not None:
            raise RuntimeError("the Bot API double is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # Cancelling handlers whose client went away matters for long polls: python-telegram-bot
        # drops its pending getUpdates on shutdown, and the handler should end with it.
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port or 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self._closing = False
        return self

    async def stop(self) -> None:
        """Answer any long poll with no updates, then close the server."""
        if self._runner is None:
            return
        self._closing = True
        self._bump()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> BotApiDouble:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the Bot API double is not started")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)``; the library appends the token."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``Bot(base_file_url=...)``; the library appends the token."""
        return f"{self.root_url}/file/bot"

    # ---------------------------------------------------------------- inspection

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every answered request, oldest first, optionally of one method (any spelling case)."""
        if method is None:
            return list(self._calls)
        name = self._canonical(method)
        return [c for c in self._calls if c.method == name]

    def attempts(self, method: str) -> int:
        """How many requests of ``method`` arrived, failed ones included."""
        return len(self.calls(method))

    def sent(
        self, chat_id: int | None = None, *, include_deleted: bool = True
    ) -> list[SentMessage]:
        """Messages the bot sent, oldest first, to one chat or to all."""
        messages = self._sent if chat_id is None else self._sent_by_chat.get(chat_id, [])
        return [m for m in messages if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of any message, inbound or outbound."""
        return self._messages.get((chat_id, message_id))

    def chat_actions(self, chat_id: int) -> list[str]:
        return [
            c.params["action"]
            for c in self.calls("sendChatAction")
            if c.ok and c.params.get("chat_id") == chat_id
        ]

    def unanswered_callbacks(self) -> list[str]:
        """Ids of callback queries the bot has not answered yet."""
        return [qid for qid, answer in self._callbacks.items() if answer is None]

    def callback_answer(self, callback_query_id: str) -> JSONDict | None:
        """The answerCallbackQuery parameters for a query, or None while it is unanswered."""
        if callback_query_id not in self._callbacks:
            raise KeyError(f"no callback query {callback_query_id!r} was injected")
        return self._callbacks[callback_query_id]

    def commands(self, *, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list set for a scope and language (no fallbacks, as getMyCommands)."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    def command_lists(self) -> dict[tuple[str, str], list[JSONDict]]:
        """All command lists, keyed by (scope as sorted JSON, language code)."""
        return {key: list(value) for key, value in self._commands.items()}

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed through getUpdates' offset."""
        return [p.update for p in self._pending]

    def dropped_updates(self) -> list[JSONDict]:
        """Updates never handed out because allowed_updates excluded their kind."""
        return list(self._dropped)

    # ---------------------------------------------------------------- waiting (event-driven)

    def _bump(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait(
        self, probe: Callable[[], _T | None], seconds: float, what: Callable[[], str]
    ) -> _T:
        try:
            async with asyncio.timeout(seconds):
                while (found := probe()) is None:
                    await self._changed.wait()
                return found
        except TimeoutError:
            raise TimeoutError(f"timed out after {seconds}s waiting for {what()}") from None

    async def wait_for_message(self, chat_id: int, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        """The next message to ``chat_id`` that no earlier call returned.

        Each chat has a read cursor, so a message sent before this call is still returned: a
        test can trigger the bot and then wait without racing it.
        """
        index = self._message_cursor.get(chat_id, 0)

        def probe() -> SentMessage | None:
            messages = self._sent_by_chat.get(chat_id, [])
            return messages[index] if len(messages) > index else None

        def what() -> str:
            texts = [m.text for m in self._sent_by_chat.get(chat_id, [])]
            return f"message #{index + 1} to chat {chat_id} (sent so far: {texts!r})"

        message = await self._wait(probe, timeout, what)
        self._message_cursor[chat_id] = index + 1
        return message

    async def wait_for_arrivals(self, method: str, count: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until ``count`` requests of ``method`` have arrived, answered or still in flight."""
        name = self._canonical(method)

        def probe() -> bool | None:
            return True if self._arrivals.get(name, 0) >= count else None

        await self._wait(probe, timeout, lambda: f"{count} {name} requests to arrive")

    async def wait_for_call(self, method: str, timeout: float = 5.0) -> ApiCall:  # noqa: ASYNC109
        """The next answered request of ``method`` that no earlier call returned."""
        name = self._canonical(method)
        index = self._call_cursor.get(name, 0)

        def probe() -> ApiCall | None:
            calls = self.calls(name)
            return calls[index] if len(calls) > index else None

        call = await self._wait(probe, timeout, lambda: f"{name} call #{index + 1}")
        self._call_cursor[name] = index + 1
        return call

    async def wait_until_confirmed(self, update: JSONDict | int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until getUpdates' offset has confirmed an update, i.e. the bot has taken it."""
        update_id = update if isinstance(update, int) else int(update["update_id"])

        def probe() -> bool | None:
            pending = any(p.update["update_id"] == update_id for p in self._pending)
            return True if update_id in self._confirmed and not pending else None

        await self._wait(probe, timeout, lambda: f"confirmation of update {update_id}")

    async def wait_for_long_poll(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until a getUpdates request is parked waiting for updates (the queue is drained)."""
        await self._wait(
            lambda: True if self._parked_polls else None,
            timeout,
            lambda: "a getUpdates long poll waiting on an empty queue",
        )

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int = 502,
        *,
        times: int = 1,
        description: str | None = None,
        retry_after: int | None = None,
        body: bytes | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``method`` with an error, then recover.

        ``method`` "*" applies to any method that has no faults of its own queued.
        """
        fault = Fault(status, description, retry_after, body=body)
        self._faults.setdefault(self._fault_key(method), deque()).extend([fault] * times)

    def throttle(self, method: str, retry_after: int, *, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 flood control and ``retry_after``."""
        self.fail_next(method, HTTPStatus.TOO_MANY_REQUESTS, times=times, retry_after=retry_after)

    def stall_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` requests normally, but only after ``seconds``."""
        fault = Fault(status=None, delay=seconds)
        self._faults.setdefault(self._fault_key(method), deque()).extend([fault] * times)

    def script(self, method: str, *faults: Fault) -> None:
        """Queue arbitrary scripted answers for ``method``, in order."""
        self._faults.setdefault(self._fault_key(method), deque()).extend(faults)

    def clear_faults(self) -> None:
        self._faults.clear()

    async def refuse_connections(self) -> None:
        """The server is out of reach: stop listening and close open connections (a long
        poll is answered empty first). Calls and state are kept; the port stays this
        double's, so a bot can be pointed at it while it is down."""
        await self.stop()

    async def accept_connections(self) -> None:
        """Back after `refuse_connections`, on the same port."""
        if self._runner is None:
            await self.start()

    def hold_requests(self, method: str = "*") -> None:
        """A stalled server: requests of ``method`` ("*": every method) are accepted, counted
        as arrivals, and left unanswered until `release_requests`. A client that gives up
        meanwhile simply disconnects; those still waiting are then answered normally."""
        self._holds.setdefault(self._fault_key(method), asyncio.Event())

    def release_requests(self) -> None:
        holds, self._holds = self._holds, {}
        for gate in holds.values():
            gate.set()

    def _fault_key(self, method: str) -> str:
        return "*" if method == "*" else self._canonical(method)

    def _next_fault(self, method: str) -> Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    # ---------------------------------------------------------------- chats and users

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str = "Tester",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> JSONDict:
        """Register (or update) a user; returns the User object the server would show."""
        self._users[user_id] = _User(user_id, first_name, last_name, username, language_code)
        return self._users[user_id].to_dict()

    def block_user(self, user_id: int) -> None:
        """The user blocked the bot: sends to them fail with 403 Forbidden."""
        self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def _user(self, user_id: int, language_code: str | None = None) -> _User:
        user = self._users.get(user_id)
        if user is None:
            self.add_user(user_id)
            user = self._users[user_id]
        if language_code is not None:
            # Clients report their current UI language with each update; keep the latest.
            user.language_code = language_code
        return user

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id > 0:
            user = self._users.get(chat_id)
            chat: JSONDict = {"id": chat_id, "type": "private"}
            chat["first_name"] = user.first_name if user else "User"
            if user and user.last_name:
                chat["last_name"] = user.last_name
            if user and user.username:
                chat["username"] = user.username
            return chat
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _bot_user(self) -> JSONDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ---------------------------------------------------------------- files

    def add_file(
        self,
        content: bytes,
        *,
        file_id: str | None = None,
        folder: str = "documents",
        extension: str = "bin",
    ) -> str:
        """Store bytes that getFile and the file URL will serve; returns the file_id."""
        number = next(self._file_numbers)
        # Real file ids start with a type marker; mimic it so ids of kinds look different.
        prefix = {"photos": "AgAC", "voice": "AwAC"}.get(folder, "BQAC")
        file_id = file_id or f"{prefix}AgUAAxkBAAIB{number:06d}"
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=f"AgADBAAD{number:06d}",
            file_path=f"{folder}/file_{number}.{extension}",
            data=bytes(content),
        )
        self._files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return file_id

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def _photo_sizes(self, file_id: str) -> list[JSONDict]:
        """A PhotoSize array, smallest first, as for a photo sent in a chat."""
        large = self._files[file_id]
        small_id = f"{file_id}-thumb"
        if small_id not in self._files:
            self.add_file(large.data, file_id=small_id, folder="photos", extension="jpg")
        small = self._files[small_id]
        return [
            {
                "file_id": small.file_id,
                "file_unique_id": small.file_unique_id,
                "file_size": len(small.data),
                "width": 90,
                "height": 67,
            },
            {
                "file_id": large.file_id,
                "file_unique_id": large.file_unique_id,
                "file_size": len(large.data),
                "width": 1280,
                "height": 960,
            },
        ]

    # ---------------------------------------------------------------- inbound traffic

    def enqueue(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates; the same dict may be queued again to redeliver it.

        A queued update is handed out at least once even when the bot's offset has already
        passed its update_id, which is how a redelivery after a lost confirmation looks.
        """
        if "update_id" not in update:
            raise ValueError("an Update needs an update_id")
        self._pending.append(_Pending(update))
        self._bump()
        return update

    def redeliver(self, update: JSONDict) -> JSONDict:
        """Queue an update already delivered, with its original update_id."""
        return self.enqueue(update)

    def new_update(self, kind: str, payload: JSONDict, *, enqueue: bool = True) -> JSONDict:
        """Wrap any payload as an Update of ``kind`` with the next update_id."""
        update = {"update_id": next(self._update_ids), kind: payload}
        return self.enqueue(update) if enqueue else update

    def _inbound(
        self,
        user_id: int,
        content: JSONDict,
        *,
        language_code: str | None,
        enqueue: bool,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        user = self._user(user_id, language_code)
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": user.to_dict(),
            "chat": self._chat(user_id),
            "date": int(time.time()),
            **content,
        }
        if reply_to_message_id is not None:
            replied = self._messages.get((user_id, reply_to_message_id))
            if replied is None:
                raise KeyError(f"no message {reply_to_message_id} in chat {user_id}")
            message["reply_to_message"] = copy.deepcopy(replied)
        self._messages[(user_id, message["message_id"])] = message
        self._started_chats.add(user_id)
        return self.new_update("message", message, enqueue=enqueue)

    def user_text(
        self,
        user_id: int,
        text: str,
        language_code: str | None = None,
        *,
        reply_to_message_id: int | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A text message from a user in their private chat with the bot.

        ``language_code`` None keeps the user's current one ("zh-hans" for a new user).
        A leading "/command" gets the bot_command entity clients attach.
        """
        content: JSONDict = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self._inbound(
            user_id,
            content,
            language_code=language_code,
            enqueue=enqueue,
            reply_to_message_id=reply_to_message_id,
        )

    def user_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        contact_user_id: int | Literal["self"] | None = "self",
        language_code: str | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A shared contact. By default the user's own (what a request_contact button sends).

        Pass another ``contact_user_id`` (or None, for a non-Telegram contact) to model a user
        forwarding someone else's card, which a bot verifying phone numbers must reject.
        """
        user = self._user(user_id, language_code)
        contact: JSONDict = {
            "phone_number": phone_number,
            "first_name": first_name or user.first_name,
        }
        if last_name:
            contact["last_name"] = last_name
        owner = user_id if contact_user_id == "self" else contact_user_id
        if owner is not None:
            contact["user_id"] = owner
        return self._inbound(
            user_id, {"contact": contact}, language_code=language_code, enqueue=enqueue
        )

    def user_photo(
        self,
        user_id: int,
        file_id: str | None = None,
        caption: str | None = None,
        *,
        content: bytes = b"\xff\xd8\xff\xe0 test photo \xff\xd9",
        media_group_id: str | None = None,
        language_code: str | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A photo; ``file_id`` names the largest size, whose bytes getFile serves."""
        if file_id is None or file_id not in self._files:
            file_id = self.add_file(content, file_id=file_id, folder="photos", extension="jpg")
        payload: JSONDict = {"photo": self._photo_sizes(file_id)}
        if caption is not None:
            payload["caption"] = caption
        if media_group_id is not None:
            payload["media_group_id"] = media_group_id
        return self._inbound(user_id, payload, language_code=language_code, enqueue=enqueue)

    def user_document(
        self,
        user_id: int,
        file_id: str | None = None,
        *,
        file_name: str = "statement.pdf",
        mime_type: str = "application/pdf",
        content: bytes = b"%PDF-1.4 test document\n%%EOF\n",
        caption: str | None = None,
        media_group_id: str | None = None,
        language_code: str | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A file sent as a document."""
        if file_id is None or file_id not in self._files:
            extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
            file_id = self.add_file(content, file_id=file_id, extension=extension)
        stored = self._files[file_id]
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(stored.data),
        }
        payload: JSONDict = {"document": document}
        if caption is not None:
            payload["caption"] = caption
        if media_group_id is not None:
            payload["media_group_id"] = media_group_id
        return self._inbound(user_id, payload, language_code=language_code, enqueue=enqueue)

    def user_voice(
        self,
        user_id: int,
        file_id: str | None = None,
        *,
        duration: int = 3,
        content: bytes = b"OggS test voice note",
        language_code: str | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A voice note (OGG/Opus, as clients record them)."""
        if file_id is None or file_id not in self._files:
            file_id = self.add_file(content, file_id=file_id, folder="voice", extension="oga")
        stored = self._files[file_id]
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(stored.data),
        }
        return self._inbound(
            user_id, {"voice": voice}, language_code=language_code, enqueue=enqueue
        )

    def user_sticker(
        self, user_id: int, *, emoji: str = "👍", language_code: str | None = None
    ) -> JSONDict:
        """A sticker, as clients send one picked from a set."""
        file_id = self.add_file(b"RIFF test sticker WEBP", folder="stickers", extension="webp")
        stored = self._files[file_id]
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TestPack",
            "file_size": len(stored.data),
        }
        return self._inbound(
            user_id, {"sticker": sticker}, language_code=language_code, enqueue=True
        )

    def user_location(
        self,
        user_id: int,
        latitude: float = 31.2397,
        longitude: float = 121.4998,
        *,
        venue: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """A shared location; with ``venue``, a place picked from the map (a venue message
        carries its location too)."""
        location = {"latitude": latitude, "longitude": longitude}
        payload: JSONDict = {"location": location}
        if venue is not None:
            payload["venue"] = {"location": location, "title": venue, "address": "陆家嘴环路"}
        return self._inbound(user_id, payload, language_code=language_code, enqueue=True)

    def callback(
        self,
        user_id: int,
        data: str,
        message_id: int,
        *,
        chat_id: int | None = None,
        language_code: str | None = None,
        enqueue: bool = True,
    ) -> JSONDict:
        """A press on an inline button of a message the bot sent.

        ``data`` is not checked against the message's buttons, so tests can also model forged
        or stale callback data.
        """
        chat_id = user_id if chat_id is None else chat_id
        sent = self._bot_messages.get((chat_id, message_id))
        if sent is None:
            raise KeyError(f"the bot sent no message {message_id} to chat {chat_id}")
        if sent.deleted:
            raise KeyError(f"message {message_id} in chat {chat_id} was deleted")
        query_id = str(next(self._callback_ids))
        user = self._user(user_id, language_code)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(sent.message),
            # Stable per chat, opaque like the server's.
            "chat_instance": str((chat_id * 2_654_435_761 + self.bot_id) % 10**19),
            "data": data,
        }
        self._callbacks[query_id] = None
        return self.new_update("callback_query", query, enqueue=enqueue)

    async def deliver_to_webhook(self, update: JSONDict, *, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """POST an update to the webhook the bot set, as Telegram does; returns the status."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set")
        headers: dict[str, str] = {}
        if self.webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
        async with (
            ClientSession(timeout=ClientTimeout(total=timeout)) as session,
            session.post(self.webhook.url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    # ---------------------------------------------------------------- HTTP plumbing

    def _canonical(self, method: str) -> str:
        # Method names are case-insensitive on the real server.
        known = self._methods.get(method.lower())
        return known[0] if known else method

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = self._canonical(request.match_info["method"])
        self._arrivals[method] = self._arrivals.get(method, 0) + 1
        self._bump()
        gate = self._holds.get(method) or self._holds.get("*")
        if gate is not None:
            await gate.wait()
        params: JSONDict = {}
        files: dict[str, UploadedFile] = {}
        body: bytes | None = None
        try:
            params, files = await self._read_params(request)
            if request.match_info["token"] != self.token:
                raise _ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
            fault = self._next_fault(method)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                if fault.body is not None:
                    body = fault.body
                    raise _ApiError(fault.status, "")
                raise fault.error()
            known = self._methods.get(method.lower())
            if known is None:
                raise _ApiError(
                    HTTPStatus.NOT_FOUND, f"Not Found: {method} is not implemented by the double"
                )
            result = await known[1](params, files)
            payload: JSONDict = {"ok": True}
            if isinstance(result, _Described):
                payload.update(result=result.result, description=result.description)
            else:
                payload["result"] = result
            status: int = HTTPStatus.OK
        except _ApiError as err:
            status, payload = err.status, err.payload()
        self._calls.append(
            ApiCall(
                method=method,
                params=params,
                files=files,
                status=int(status),
                response=None if body is not None else payload,
                http_method=request.method,
                content_type=request.content_type,
                at=asyncio.get_running_loop().time(),
            )
        )
        self._bump()
        if body is not None:
            return web.Response(status=status, body=body, content_type="text/html")
        return web.Response(
            status=status,
            text=json.dumps(payload, ensure_ascii=False),
            content_type="application/json",
        )

    async def _read_params(self, request: web.Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
        params: JSONDict = dict(request.query)
        files: dict[str, UploadedFile] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad_request("can't parse JSON encoded request body") from None
            if not isinstance(body, dict):
                raise _bad_request("JSON object expected as request body")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    files[name] = UploadedFile(
                        name, value.filename, value.content_type, value.file.read()
                    )
                else:
                    params[name] = value
        return {name: _coerce(name, value) for name, value in params.items()}, files

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            payload = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(payload, status=HTTPStatus.NOT_FOUND)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # ---------------------------------------------------------------- shared checks

    def _chat_id(self, params: JSONDict, name: str = "chat_id") -> int:
        chat_id = params.get(name)
        if chat_id is None or chat_id == "":
            raise _bad_request(f"{name} is empty")
        if not isinstance(chat_id, int):
            # "@channel" usernames: this bot lives in private chats only.
            raise _bad_request("chat not found")
        return chat_id

    def _writable_chat(self, params: JSONDict) -> int:
        chat_id = self._chat_id(params)
        if chat_id in self._blocked:
            raise _ApiError(HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user")
        if self.require_started_chats and chat_id > 0 and chat_id not in self._started_chats:
            raise _ApiError(
                HTTPStatus.FORBIDDEN, "Forbidden: bot can't initiate conversation with a user"
            )
        return chat_id

    def _check_markup(self, markup: Any) -> JSONDict | None:
        if markup is None:
            return None
        unparsable = _bad_request("can't parse reply keyboard markup JSON object")
        if not isinstance(markup, dict):
            raise unparsable
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup '
                    "should be an Array of Arrays"
                )
            for button in itertools.chain.from_iterable(rows):
                self._check_inline_button(button)
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
        elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
            raise unparsable
        return markup

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        actions = _INLINE_BUTTON_ACTIONS & button.keys()
        if not actions:
            raise _bad_request(
                "can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard"
            )
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(data.encode("utf-8")) if isinstance(data, str) else 0
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")

    def _formatted(
        self, text: Any, params: JSONDict, *, caption: bool
    ) -> tuple[str | None, str | None, list[JSONDict]]:
        """Returns (raw text, visible text, entities), enforcing the server's limits."""
        if text is None or text == "":
            if caption:
                return None, None, []
            raise _bad_request("message text is empty")
        raw = str(text)
        entities_param = params.get("caption_entities" if caption else "entities")
        plain, entities = _render(raw, params.get("parse_mode"), entities_param)
        if not caption and not plain.strip():
            raise _bad_request("message text is empty")
        # The limits apply to the text after formatting, counted in characters.
        if caption and len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        if not caption and len(plain) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return raw, plain, entities

    def _reply_to(self, params: JSONDict, chat_id: int) -> JSONDict | None:
        reply = params.get("reply_parameters")
        message_id = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
        if message_id is None:
            return None
        replied = self._messages.get((chat_id, int(message_id)))
        if replied is None and not allow_missing:
            raise _bad_request("message to be replied not found")
        return copy.deepcopy(replied) if replied is not None else None

    def _record_outbound(
        self,
        method: str,
        chat_id: int,
        params: JSONDict,
        content: JSONDict,
        *,
        raw: str | None,
        plain: str | None,
        entities: list[JSONDict],
        markup: JSONDict | None,
        file: bytes | None = None,
        caption: bool = False,
    ) -> JSONDict:
        replied = self._reply_to(params, chat_id)
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        if plain is not None:
            message["caption" if caption else "text"] = plain
            if entities:
                message["caption_entities" if caption else "entities"] = entities
        if replied is not None:
            message["reply_to_message"] = replied
        if markup is not None and "inline_keyboard" in markup:
            # Only inline keyboards are part of the message; reply keyboards live in the client.
            message["reply_markup"] = markup
        record = SentMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            method=method,
            text=raw,
            plain_text=plain,
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
            params=params,
            message=message,
            sent_at=dt.datetime.now(dt.UTC),
            clock=asyncio.get_running_loop().time(),
            file=file,
        )
        self._messages[(chat_id, record.message_id)] = message
        self._bot_messages[(chat_id, record.message_id)] = record
        self._sent.append(record)
        self._sent_by_chat.setdefault(chat_id, []).append(record)
        return message

    def _editable(self, params: JSONDict) -> SentMessage:
        if params.get("inline_message_id"):
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        key = (chat_id, int(message_id))
        sent = self._bot_messages.get(key)
        if sent is None and key in self._messages:
            raise _bad_request("message can't be edited")
        if sent is None or sent.deleted:
            raise _bad_request("message to edit not found")
        return sent

    # ---------------------------------------------------------------- methods

    async def _get_me(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _log_out(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        return True

    async def _close(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        return True

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            raise _bad_request("can't parse allowed_updates JSON object")
        # An empty list means "back to the default set", as on the real server.
        self._allowed_updates = frozenset(allowed) if allowed else None

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATE_KINDS
        return kind in self._allowed_updates

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            ordered = sorted(self._pending, key=lambda p: p.update["update_id"])
            kept = ordered[offset:]
            forgotten = ordered[: len(ordered) - len(kept)]
            self._pending = kept
        else:
            forgotten = [p for p in self._pending if p.delivered and p.update["update_id"] < offset]
            self._pending = [p for p in self._pending if p not in forgotten]
        self._confirmed.update(p.update["update_id"] for p in forgotten)

    def _take(self, limit: int) -> list[JSONDict]:
        kept: list[_Pending] = []
        for entry in sorted(self._pending, key=lambda p: p.update["update_id"]):
            if not entry.delivered and not self._is_allowed(entry.update):
                self._dropped.append(entry.update)
            else:
                kept.append(entry)
        self._pending = kept
        batch = kept[:limit]
        for entry in batch:
            entry.delivered = True
        return [entry.update for entry in batch]

    async def _get_updates(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        if self.webhook is not None:
            raise _ApiError(HTTPStatus.CONFLICT, CONFLICT_WEBHOOK_ACTIVE)
        limit = min(max(int(params.get("limit") or MAX_UPDATES_PER_CALL), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self._set_allowed_updates(params["allowed_updates"])
        if params.get("offset") is not None:
            self._confirm(int(params["offset"]))
        # A newer getUpdates ends an older one still waiting, as the real server does.
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump()
        parked = False
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if self._closing:
                        return []
                    if generation != self._poll_generation:
                        raise _ApiError(HTTPStatus.CONFLICT, CONFLICT_OTHER_POLL)
                    batch = self._take(limit)
                    if batch:
                        return batch
                    if not parked:
                        parked = True
                        self._parked_polls += 1
                        self._bump()
                    await self._changed.wait()
        except TimeoutError:
            return []
        finally:
            if parked:
                self._parked_polls -= 1

    async def _set_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params, files)
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        max_connections = int(params.get("max_connections") or 40)
        if not 1 <= max_connections <= 100:
            raise _bad_request("bad webhook: invalid max_connections specified")
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._set_allowed_updates(allowed)
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook = WebhookSettings(
            url=url,
            secret_token=str(secret) if secret is not None else None,
            allowed_updates=list(allowed) if isinstance(allowed, list) else None,
            max_connections=max_connections,
            ip_address=params.get("ip_address"),
            has_custom_certificate="certificate" in files,
        )
        return _Described(True, "Webhook was set")

    def _drop_pending(self) -> None:
        self._confirmed.update(p.update["update_id"] for p in self._pending)
        self._pending.clear()

    async def _delete_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        if params.get("drop_pending_updates"):
            self._drop_pending()
        was_set, self.webhook = self.webhook is not None, None
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        info: JSONDict = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": bool(self.webhook and self.webhook.has_custom_certificate),
            "pending_update_count": len(self._pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    async def _send_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        chat_id = self._writable_chat(params)
        raw, plain, entities = self._formatted(params.get("text"), params, caption=False)
        markup = self._check_markup(params.get("reply_markup"))
        return self._record_outbound(
            "sendMessage",
            chat_id,
            params,
            {},
            raw=raw,
            plain=plain,
            entities=entities,
            markup=markup,
        )

    async def _edit_message_text(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        sent = self._editable(params)
        if "text" not in sent.message:
            raise _bad_request("there is no text in the message to edit")
        raw, plain, entities = self._formatted(params.get("text"), params, caption=False)
        markup = self._check_markup(params.get("reply_markup"))
        if (
            plain == sent.message.get("text")
            and entities == sent.message.get("entities", [])
            and markup == sent.message.get("reply_markup")
        ):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(
            sent, markup, text=(raw, plain, entities), parse_mode=params.get("parse_mode")
        )
        return sent.message

    async def _edit_message_reply_markup(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> Any:
        sent = self._editable(params)
        markup = self._check_markup(params.get("reply_markup"))
        if markup == sent.message.get("reply_markup"):
            raise _bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._apply_edit(sent, markup)
        return sent.message

    @staticmethod
    def _apply_edit(
        sent: SentMessage,
        markup: JSONDict | None,
        *,
        text: tuple[str | None, str | None, list[JSONDict]] | None = None,
        parse_mode: str | None = None,
    ) -> None:
        sent.edits.append(copy.deepcopy(sent.message))
        message = sent.message
        if text is not None:
            raw, plain, entities = text
            sent.text, sent.plain_text, sent.entities = raw, plain, entities
            sent.parse_mode = parse_mode
            message["text"] = plain
            message.pop("entities", None)
            if entities:
                message["entities"] = entities
        # Leaving reply_markup out of an edit removes the inline keyboard.
        sent.reply_markup = markup
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())

    async def _delete_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        chat_id = self._chat_id(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        key = (chat_id, int(message_id))
        if key not in self._messages:
            raise _bad_request("message to delete not found")
        del self._messages[key]
        sent = self._bot_messages.get(key)
        if sent is not None:
            sent.deleted = True
        return True

    async def _answer_callback_query(
        self, params: JSONDict, files: dict[str, UploadedFile]
    ) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callbacks or self._callbacks[query_id] is not None:
            raise _bad_request(QUERY_ID_INVALID.removeprefix("Bad Request: "))
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        self._callbacks[query_id] = {k: v for k, v in params.items() if k != "callback_query_id"}
        return True

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    @staticmethod
    def _language(params: JSONDict) -> str:
        language = str(params.get("language_code") or "")
        # Bot settings take "" or an ISO 639-1 code; user locales such as "zh-hans" are refused.
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("invalid language code specified")
        return language

    async def _set_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        language = self._language(params)
        commands = params.get("commands") or []
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        cleaned: list[JSONDict] = []
        for item in commands:
            for name in ("command", "description"):
                if not isinstance(item, dict) or not isinstance(item.get(name), str):
                    raise _bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
            command = item["command"].strip().removeprefix("/")
            description = item["description"].strip()
            if not command:
                raise _bad_request("command must be non-empty")
            if len(command) > 32:
                raise _bad_request("command length must not exceed 32")
            if not description:
                raise _bad_request("command description must be non-empty")
            if len(description) > 256:
                raise _bad_request("command description length must not exceed 256")
            if not _BOT_COMMAND.fullmatch(command):
                raise _bad_request("BOT_COMMAND_INVALID")
            cleaned.append({"command": command, "description": description})
        key = (self._scope_key(params.get("scope")), language)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        key = (self._scope_key(params.get("scope")), self._language(params))
        return list(self._commands.get(key, []))

    async def _delete_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._commands.pop((self._scope_key(params.get("scope")), self._language(params)), None)
        return True

    def _incoming_file(
        self,
        name: str,
        params: JSONDict,
        files: dict[str, UploadedFile],
        *,
        folder: str,
        extension: str,
    ) -> tuple[str, UploadedFile | None]:
        """Resolve a file parameter (upload, attach:// upload, file_id or URL) to a file_id."""
        value = params.get(name)
        upload = files.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad_request(f"file for {name} not found in the request")
        if upload is not None:
            if upload.filename and "." in upload.filename:
                extension = upload.filename.rsplit(".", 1)[-1]
            return self.add_file(upload.data, folder=folder, extension=extension), upload
        if not value:
            raise _bad_request(f"there is no {name} in the request")
        value = str(value)
        if value in self._files:
            return value, None
        if value.startswith(("http://", "https://")):
            # The real server would fetch the URL; here the file simply has no bytes.
            return self.add_file(b"", folder=folder, extension=extension), None
        raise _bad_request("wrong file identifier/HTTP URL specified")

    async def _send_photo(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        chat_id = self._writable_chat(params)
        raw, plain, entities = self._formatted(params.get("caption"), params, caption=True)
        markup = self._check_markup(params.get("reply_markup"))
        file_id, _ = self._incoming_file("photo", params, files, folder="photos", extension="jpg")
        return self._record_outbound(
            "sendPhoto",
            chat_id,
            params,
            {"photo": self._photo_sizes(file_id)},
            raw=raw,
            plain=plain,
            entities=entities,
            markup=markup,
            file=self._files[file_id].data,
            caption=True,
        )

    async def _send_media_group(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        """2-10 items sent as one album, all or none; only documents are modelled (an
        album mixes documents with nothing else). Answers the array of Messages."""
        chat_id = self._writable_chat(params)
        media = params.get("media")
        if isinstance(media, str):
            try:
                media = json.loads(media)
            except ValueError:
                raise _bad_request("can't parse media JSON object") from None
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad_request("wrong number of media in the album: 2-10 are allowed")
        if any(not isinstance(item, dict) or item.get("type") != "document" for item in media):
            raise _bad_request("documents can't be mixed with other media types")
        # Check every item before recording any: the album is sent whole or not at all.
        checked = []
        for item in media:
            raw, plain, entities = self._formatted(item.get("caption"), item, caption=True)
            file_id, upload = self._incoming_file(
                "media", item, files, folder="documents", extension="bin"
            )
            checked.append((item, raw, plain, entities, file_id, upload))
        group_id = str(next(self._message_ids) + 10**12)
        messages = []
        for item, raw, plain, entities, file_id, upload in checked:
            stored = self._files[file_id]
            document = _document(stored, upload)
            messages.append(
                self._record_outbound(
                    "sendMediaGroup",
                    chat_id,
                    {**params, **item},
                    {"document": document, "media_group_id": group_id},
                    raw=raw,
                    plain=plain,
                    entities=entities,
                    markup=None,
                    file=stored.data,
                    caption=True,
                )
            )
        return messages

    async def _send_document(self, params: JSONDict, files: dict[str, UploadedFile]) -> Any:
        chat_id = self._writable_chat(params)
        raw, plain, entities = self._formatted(params.get("caption"), params, caption=True)
        markup = self._check_markup(params.get("reply_markup"))
        file_id, upload = self._incoming_file(
            "document", params, files, folder="documents", extension="bin"
        )
        stored = self._files[file_id]
        document = _document(stored, upload)
        return self._record_outbound(
            "sendDocument",
            chat_id,
            params,
            {"document": document},
            raw=raw,
            plain=plain,
            entities=entities,
            markup=markup,
            file=stored.data,
            caption=True,
        )

    async def _send_chat_action(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._writable_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def _coerce(name: str, value: Any) -> Any:
    """Give a request field the type the Bot API declares for it."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise _bad_request("can't parse reply keyboard markup JSON object") from None
            raise _bad_request(f"can't parse {name} JSON object") from None
    if name in _CHAT_ID_FIELDS:
        return int(value) if _INTEGER.fullmatch(value) else value
    if name in _INT_FIELDS:
        if not _INTEGER.fullmatch(value):
            raise _bad_request(f'field "{name}" must be of type Integer')
        return int(value)
    if name in _FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError:
            raise _bad_request(f'field "{name}" must be of type Number') from None
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value
