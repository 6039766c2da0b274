"""The WeChat webhook's gate: a signed message's fields are checked before anything reads them.

A validly signed request may still carry a message the service cannot understand (no
MsgType, a CreateTime that is not a number, a sender id longer than any openid). Such a
message is `Rejected` with the field and the problem; the channel answers `success` —
anything else makes WeChat retry and then tell the customer 「该公众号暂时无法提供服务」 —
and stores nothing. Only the fields the service reads are checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bots.rejections import Rejected

MESSAGE_TYPES = frozenset(
    {"text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event"}
)
MEDIA_TYPES = frozenset({"image", "voice", "video", "shortvideo"})
# Openids are 28 URL-safe characters, account ids "gh_" and 12 hex digits: 64 is ample.
_ACCOUNT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SECONDS = re.compile(r"[0-9]{1,10}")
_MSG_ID = re.compile(r"[0-9]{1,20}")
_MEDIA_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII, no spaces
_EVENT = re.compile(r"[A-Za-z_]{1,64}")
EVENT_KEY_MAX = 1024  # a VIEW event's key is the page's URL


def check_message(fields: Mapping[str, str | None]) -> dict[str, str]:
    """The message's fields, all plain text, or `Rejected`.

    After this, MsgType is one of `MESSAGE_TYPES` (lower case), and the fields
    `bots.wechat.convert.to_inbound` reads for that type are present and well-formed.
    """
    msg_type = _field(fields, "MsgType", None).lower()
    if msg_type not in MESSAGE_TYPES:
        raise Rejected("MsgType: unknown value")
    _field(fields, "ToUserName", _ACCOUNT)
    _field(fields, "FromUserName", _ACCOUNT)
    _field(fields, "CreateTime", _SECONDS)
    if msg_type == "event":
        _field(fields, "Event", _EVENT)
        if "EventKey" in fields:
            _text(fields, "EventKey", EVENT_KEY_MAX)
    else:
        _field(fields, "MsgId", _MSG_ID)
    if msg_type == "text":
        _text(fields, "Content", None)
    elif msg_type in MEDIA_TYPES:
        _field(fields, "MediaId", _MEDIA_ID)
    checked = {name: value for name, value in fields.items() if value is not None}
    checked["MsgType"] = msg_type
    return checked


def _field(fields: Mapping[str, str | None], name: str, pattern: re.Pattern[str] | None) -> str:
    value = _text(fields, name, None)
    if pattern is None:
        if not value:
            raise Rejected(f"{name}: empty")
    elif not pattern.fullmatch(value):
        raise Rejected(f"{name}: malformed")
    return value


def _text(fields: Mapping[str, str | None], name: str, high: int | None) -> str:
    if name not in fields:
        raise Rejected(f"{name}: missing")
    value = fields[name]
    if value is None:
        raise Rejected(f"{name}: not a single text element")
    if high is not None and len(value) > high:
        raise Rejected(f"{name}: too long")
    return value
