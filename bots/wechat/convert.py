"""WeChat messages and events in, core inputs out; replies out as text menus."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from bots.text import split_text, utf8_length
from bots.wechat.menu import MENU_COMMANDS
from core.cases.classification import Channel
from core.channel.io import DELIVERY_KEY_MAX, Incoming, Input, Media, Reply, Text, Unsupported
from core.desk.commands import parse_button
from core.identity import CustomerId, Platform

_MEDIA_KINDS = {"image": "photo", "voice": "voice", "video": "video", "shortvideo": "video"}
# A file sent in the chat carries no MediaId the API could fetch: like a location or a
# link, the dialogue says it cannot take it and asks again.
_UNSUPPORTED_KINDS = {"location": "location", "link": "link", "file": "file"}
PASSIVE_REPLY_BYTES = 2000


@dataclass(frozen=True, slots=True)
class Inbound:
    openid: str
    delivery_key: str
    message: Input | None  # None: nothing for the dialogue (unsubscribe, other events)
    subscribed: bool | None = None  # a subscribe (True) or unsubscribe (False) event


def to_inbound(fields: Mapping[str, str], app_id: str) -> Inbound:
    """The message's meaning, from fields `bots.wechat.gate.check_message` accepted."""
    openid = fields["FromUserName"]
    msg_type = fields["MsgType"]
    if msg_type == "event":
        # Events carry no MsgId. WeChat's own rule is sender + CreateTime; the event and
        # its key are added because a retry repeats them too, while a subscribe and a
        # menu click within the same second are two different events.
        event = fields["Event"].lower()
        event_key = fields.get("EventKey", "")
        stamp = int(fields["CreateTime"])
        key = _fitted(f"wechat:{app_id}:event:{openid}:{stamp}:{event}:{event_key}")
        if event.startswith("subscribe"):
            return Inbound(openid, key, Text("/start"), subscribed=True)
        if event == "unsubscribe":
            return Inbound(openid, key, None, subscribed=False)
        if event == "click":
            return Inbound(openid, key, Text(MENU_COMMANDS.get(event_key, "/start")))
        return Inbound(openid, key, None)
    key = f"wechat:{app_id}:msg:{int(fields['MsgId'])}"
    if msg_type == "text":
        return Inbound(openid, key, Text(fields["Content"]))
    kind = _MEDIA_KINDS.get(msg_type)
    if kind is not None:
        return Inbound(openid, key, Media(kind, fields["MediaId"]))
    return Inbound(openid, key, Unsupported(_UNSUPPORTED_KINDS.get(msg_type, "other")))


def _fitted(key: str) -> str:
    """The key, or when longer than a delivery key may be (a long event key), its start
    and a digest of the whole: the same for every redelivery, distinct for others."""
    if len(key) <= DELIVERY_KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: DELIVERY_KEY_MAX - len(digest) - 1]}:{digest}"


def to_incoming(inbound: Inbound) -> Incoming | None:
    if inbound.message is None:
        return None
    return Incoming(
        customer=CustomerId(Platform.WECHAT, inbound.openid),
        message=inbound.message,
        channel=Channel.PUBLIC_PLATFORM,
        language_hint=None,  # WeChat does not say; Chinese unless the customer picks English
        delivery_key=inbound.delivery_key,
    )


def as_text(replies: list[Reply]) -> str:
    """All replies as one text; options as a numbered menu answered by number or words.

    Desk buttons cannot be pressed in WeChat: they show the command to type instead.
    """
    blocks = []
    for reply in replies:
        lines = [reply.text]
        for i, option in enumerate(reply.options, 1):
            command = parse_button(option.key)
            if command is None:
                lines.append(f"{i}. {option.label}")
            else:
                typed = " ".join(p for p in (command.number, command.rest) if p)
                lines.append(f"{option.label}: /{command.name} {typed}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def passive_and_rest(replies: list[Reply]) -> tuple[str, list[str]]:
    """The passive reply, and what does not fit in it (sent as pushes right after)."""
    pieces = split_text(as_text(replies), PASSIVE_REPLY_BYTES, utf8_length)
    return pieces[0], pieces[1:]
