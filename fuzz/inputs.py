"""Generated webhook inputs (hypothesis strategies), for the property tests and `make fuzz`.

Each input has a kind that says what the service must answer:

- `valid`: a well-formed update or message with random values: 200, handled;
- `malformed`: one field the service reads broken as the platform never would: 200
  (WeChat `success`), rejected;
- `mutated` (Telegram): any part of a valid update replaced by random JSON: 200;
- `junk`: any JSON value / any `<xml>` document: 200;
- `not_json` / `not_xml`: 400 (WeChat may say 413 for a body too large);
- `forged`: a valid input without the secret / badly signed: 403.

"Rejected" means logged, counted, and nothing stored; the tests check that too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from bots.wechat.menu import MENU_COMMANDS
from tests.doubles.wechat_platform import render_xml

JSONDict = dict[str, Any]

# ------------------------------------------------------------------ shared pieces

# Text as a platform delivers it: any character but NUL and lone surrogates.
_TEXT_CHARS = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
# XML 1.0 allows no control characters but tab and newlines (and \r reads as \n).
_XML_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"
) | st.sampled_from("\t\n")
WORDS = ["/start", "/help", "/cancel", "/back", "/status CP-20261102-0001", "/mycases",
         "/points", "/redeem", "/privacy", "/language", "/forget", "1", "2", "5", "投诉",
         "ATM 吞卡后网点无人处理，等待了一个多小时。", "13812348000", "张三"]  # fmt: skip


def _text(min_size: int = 0, max_size: int = 200, chars: Any = _TEXT_CHARS) -> Any:
    return st.one_of(
        st.sampled_from(WORDS).filter(lambda w: min_size <= len(w) <= max_size),
        st.text(chars, min_size=min_size, max_size=max_size),
    )


def _utf8_prefix(text: str, size: int) -> str:
    return text.encode()[:size].decode("utf-8", "ignore")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(_TEXT_CHARS, max_size=50),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)  # fmt: skip


@dataclass(frozen=True)
class Input:
    kind: str
    body: bytes
    forged: bool = False  # Telegram: without the secret; WeChat: a bad signature
    envelope: bool = True  # WeChat: sign (and in safe mode encrypt) `body` as the message

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        return f"Input({self.kind!r}, {self.body[:2000]!r}, forged={self.forged})"


# ------------------------------------------------------------------ Telegram

_ids = st.integers(1, 2**52)


@st.composite
def _user(draw: st.DrawFn, user_id: int) -> JSONDict:
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": draw(_text(1, 64))}
    if draw(st.booleans()):
        user["language_code"] = draw(st.sampled_from(["en", "zh-hans", "pt-br"]) | _text(0, 35))
    return user


@st.composite
def _content(draw: st.DrawFn, user_id: int) -> JSONDict:
    # Each kind has its own required fields (a voice note's duration...): all of them.
    file = st.fixed_dictionaries(
        {"file_id": _text(1, 80), "file_unique_id": _text(1, 20)},
    ).map(lambda f: {**f, "width": 90, "height": 90, "duration": 3})
    kind = draw(st.sampled_from(["text", "text", "text", "contact", "photo", "file", "sticker"]))
    if kind == "text":
        return {"text": draw(_text(1, 4096))}
    if kind == "contact":
        contact: JSONDict = {"phone_number": draw(_text(1, 20)), "first_name": draw(_text(1, 64))}
        if draw(st.booleans()):
            contact["user_id"] = draw(st.sampled_from([user_id, user_id + 1]))
        return {"contact": contact}
    if kind == "photo":
        photo = draw(st.lists(file, min_size=1, max_size=3))
        return {"photo": photo, "caption": draw(_text(0, 1024))}
    if kind == "file":
        return {draw(st.sampled_from(["document", "voice", "video", "audio"])): draw(file)}
    sticker = {"type": "regular", "is_animated": False, "is_video": False}
    return {"sticker": {**draw(file), **sticker}}


@st.composite
def telegram_updates(draw: st.DrawFn) -> JSONDict:
    """A well-formed update: a message or a button press, in a private chat or a group."""
    user_id = draw(_ids)
    user = draw(_user(user_id))
    chat = draw(
        st.sampled_from([{"id": user_id, "type": "private"}, {"id": -1001234567, "type": "group"}])
    )
    message = {"message_id": draw(st.integers(1, 2**31)), "date": 1_790_000_000, "chat": chat}
    update_id = draw(st.integers(0, 2**40))
    kind = draw(st.sampled_from(["message", "message", "callback_query", "edited_message"]))
    if kind == "callback_query":
        data = draw(_text(0, 64).map(lambda d: _utf8_prefix(d, 64)))
        query: JSONDict = {"id": str(draw(_ids)), "from": user, "chat_instance": "42"}
        if draw(st.booleans()):
            query["data"] = data
        if draw(st.booleans()):
            buttons = [[{"text": draw(_text(1, 20)), "callback_data": data}]]
            query["message"] = {
                **message,
                "from": {"id": 1, "is_bot": True, "first_name": "bot"},
                "text": draw(_text(1, 300)),
                "reply_markup": {"inline_keyboard": buttons},
            }
        return {"update_id": update_id, "callback_query": query}
    return {"update_id": update_id, kind: {**message, "from": user, **draw(_content(user_id))}}


def _not(*kinds: str) -> Any:
    """Values of any JSON type but those named."""
    pool = {
        "int": st.integers(),
        "str": st.text(max_size=8),
        "bool": st.booleans(),
        "float": st.floats(),
        "null": st.none(),
        "list": st.lists(st.integers(), max_size=2),
        "dict": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    }
    return st.one_of(*(strategy for name, strategy in pool.items() if name not in kinds))


_NOT_INT = _not("int")
_NOT_STR = _not("str")
_BAD_TEXT = st.sampled_from(["a\x00b", "\ud800", "x\udfff"])
_HUGE = st.integers(2**63, 2**70) | st.integers(-(2**70), -(2**63) - 1)
# Path -> values the Bot API never sends there ("*" is every element of a list).
_BREAKAGES: dict[tuple[str, ...], Any] = {
    ("update_id",): _NOT_INT | st.integers(max_value=-1) | _HUGE,
    ("message",): _not("dict"),
    ("message", "message_id"): _NOT_INT,
    ("message", "date"): _NOT_INT | st.integers(max_value=-1),
    ("message", "chat"): _not("dict"),
    ("message", "chat", "id"): _NOT_INT | _HUGE,
    ("message", "chat", "type"): _NOT_STR | st.sampled_from(["", "secret", "PRIVATE"]),
    ("message", "from"): _not("dict"),
    ("message", "from", "id"): _NOT_INT | _HUGE,
    ("message", "from", "is_bot"): _not("bool"),
    ("message", "from", "first_name"): _NOT_STR | _BAD_TEXT,
    ("message", "from", "language_code"): _NOT_STR,
    ("message", "text"): _NOT_STR | st.just("") | _BAD_TEXT | st.text(min_size=4097, max_size=5000),
    ("message", "caption"): _NOT_STR | st.text(min_size=1025, max_size=1100),
    ("message", "contact"): _not("dict"),
    ("message", "contact", "phone_number"): _NOT_STR | st.just(""),
    ("message", "contact", "user_id"): _NOT_INT,
    ("message", "photo"): _not("list") | st.lists(_not("dict"), min_size=1, max_size=2),
    ("message", "photo", "*", "file_id"): _NOT_STR | st.just("") | st.text(min_size=300),
    ("message", "document"): _not("dict"),
    ("message", "voice", "file_id"): _NOT_STR,
    ("callback_query",): _not("dict"),
    ("callback_query", "id"): _NOT_STR | st.just(""),
    ("callback_query", "from"): _not("dict"),
    ("callback_query", "from", "id"): _NOT_INT,
    ("callback_query", "data"): _NOT_STR
    | _BAD_TEXT
    | st.text(min_size=65, max_size=5000).filter(lambda d: len(d.encode()) > 64),
    ("callback_query", "message"): _not("dict"),
    ("callback_query", "message", "text"): _NOT_STR,
    ("callback_query", "message", "reply_markup", "inline_keyboard"): _not("list")
    | st.just([[{"text": 1}]])
    | st.just([{"text": "a"}]),
}  # fmt: skip
# Fields the Bot API always sends: an update without one is broken too.
_REQUIRED = [("update_id",), ("message", "chat"), ("message", "date"), ("message", "message_id"),
             ("message", "from", "id"), ("message", "from", "is_bot"), ("callback_query", "from"),
             ("callback_query", "id"), ("message", "contact", "phone_number")]  # fmt: skip


def _keys(node: Any, step: str) -> list[str | int]:
    if step == "*":
        return list(range(len(node))) if isinstance(node, list) else []
    return [step] if isinstance(node, dict) and step in node else []


def _holders(update: Any, path: tuple[str, ...]) -> list[tuple[Any, str | int]]:
    """The (container, key) pairs that `path` names in `update`, "*" matching list items."""
    nodes = [update]
    for step in path[:-1]:
        nodes = [node[key] for node in nodes for key in _keys(node, step)]
    return [(node, key) for node in nodes for key in _keys(node, path[-1])]


@st.composite
def malformed_updates(draw: st.DrawFn) -> JSONDict:
    """A well-formed update with one field broken as the Bot API never would."""
    update = draw(telegram_updates())
    breakable = [p for p in _BREAKAGES if _holders(update, p)]
    droppable = [p for p in _REQUIRED if _holders(update, p)]
    # bool(): otherwise the list would be the context draw() infers its type from
    if bool(droppable) and draw(st.booleans()):
        path = draw(st.sampled_from(droppable))
        for holder, key in _holders(update, path):
            del holder[key]
        return update
    path = draw(st.sampled_from(breakable))
    for holder, key in _holders(update, path):
        holder[key] = draw(_BREAKAGES[path])
    return update


@st.composite
def mutated_updates(draw: st.DrawFn) -> JSONDict:
    """A well-formed update with any one part, at any depth, replaced by random JSON."""
    update = draw(telegram_updates())
    places: list[tuple[Any, str | int]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            places.append((node, key))
            if isinstance(value, dict | list):
                walk(value)

    walk(update)
    holder, key = draw(st.sampled_from(places))
    holder[key] = draw(json_values)
    return update


def _dumps(value: Any) -> bytes:
    # Lone surrogates go out as \\u escapes, as a JSON encoder on the other side might.
    return json.dumps(value, ensure_ascii=True).encode()


def _not_json() -> Any:
    return st.one_of(
        st.binary(max_size=200).filter(_unparseable),
        st.text(max_size=100).map(str.encode).filter(_unparseable),
        st.sampled_from([b"", b"{", b'{"update_id": 1', b"\xff\xfe{}", b"[" * 100_000]),
    )


def _unparseable(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return True
    return False


def telegram_inputs() -> Any:
    """Every kind of Telegram webhook input (see the module's table)."""
    return st.one_of(
        telegram_updates().map(lambda u: Input("valid", _dumps(u))),
        malformed_updates().map(lambda u: Input("malformed", _dumps(u))),
        mutated_updates().map(lambda u: Input("mutated", _dumps(u))),
        json_values.map(lambda v: Input("junk", _dumps(v))),
        _not_json().map(lambda b: Input("not_json", b)),
        telegram_updates().map(lambda u: Input("forged", _dumps(u), forged=True)),
    )


# ------------------------------------------------------------------ WeChat

ACCOUNT_ID = "gh_3a9c5e7b1d2f"  # the platform double's ToUserName
MENU_KEYS = [*MENU_COMMANDS, "UNKNOWN_KEY"]
_OPENID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
_openids = st.one_of(
    st.text(_OPENID_CHARS, min_size=28, max_size=28).map(lambda s: "o" + s[1:]),
    st.text(_OPENID_CHARS, min_size=1, max_size=64),
)
Fields = list[tuple[str, Any]]


def _xml_text(min_size: int = 0, max_size: int = 200) -> Any:
    return _text(min_size, max_size, _XML_CHARS)


@st.composite
def wechat_messages(draw: st.DrawFn) -> Fields:
    """A well-formed message or event, its fields in the platform's order."""
    fields: Fields = [
        ("ToUserName", ACCOUNT_ID),
        ("FromUserName", draw(_openids)),
        ("CreateTime", draw(st.integers(0, 9_999_999_999))),
    ]
    kind = draw(st.sampled_from(["text", "text", "image", "voice", "video", "location", "link",
                                 "event"]))  # fmt: skip
    media = st.text(_OPENID_CHARS, min_size=1, max_size=64)
    fields.append(("MsgType", kind))
    if kind == "text":
        fields.append(("Content", draw(_xml_text(0, 2100))))
    elif kind == "image":
        fields += [("PicUrl", "http://mmbiz.qpic.cn/x"), ("MediaId", draw(media))]
    elif kind == "voice":
        fields += [("MediaId", draw(media)), ("Format", "amr")]
    elif kind == "video":
        fields += [("MediaId", draw(media)), ("ThumbMediaId", draw(media))]
    elif kind == "location":
        fields += [("Location_X", "31.2"), ("Location_Y", "121.5"), ("Label", draw(_xml_text()))]
    elif kind == "link":
        fields += [("Title", draw(_xml_text())), ("Url", "https://example.com/")]
    if kind != "event":
        fields.append(("MsgId", draw(st.integers(0, 2**63 - 1))))
        return fields
    events = ["subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN", "LOCATION",
              "TEMPLATESENDJOBFINISH", "scancode_push"]  # fmt: skip
    event = draw(st.sampled_from(events))
    fields.append(("Event", event))
    if event == "CLICK":
        fields.append(("EventKey", draw(st.sampled_from(MENU_KEYS) | _xml_text(0, 128))))
    elif event in ("VIEW", "SCAN", "subscribe") and draw(st.booleans()):
        fields.append(("EventKey", draw(_xml_text(0, 1024))))
    elif event == "scancode_push":
        fields.append(("ScanCodeInfo", {"ScanType": "qrcode", "ScanResult": "1"}))
    return fields


_MESSAGE_TYPES = {"text", "image", "voice", "video", "shortvideo", "location", "link", "file",
                  "event"}  # fmt: skip
_NOT_DIGITS = _xml_text(0, 20).filter(lambda s: not (s.isascii() and s.isdigit()))
_LONG_NAME = st.text(_OPENID_CHARS, min_size=65, max_size=300)
_BAD_NAME = _LONG_NAME | st.just("") | st.sampled_from(["o 1", "用户", "o\n1", "a/b"])
_WECHAT_BREAKAGES: dict[str, Any] = {
    "MsgType": st.sampled_from(["", "TEXTX", "news", "unknown"])
    | _xml_text(1, 10).filter(lambda t: t.lower() not in _MESSAGE_TYPES),
    "FromUserName": _BAD_NAME,
    "ToUserName": _BAD_NAME,
    "CreateTime": _NOT_DIGITS | st.integers(10**10, 10**30),
    "MsgId": _NOT_DIGITS | st.integers(10**20, 10**40),
    "MediaId": st.just("") | _xml_text(129, 200) | st.just("a b"),
    "Event": st.just("") | st.sampled_from(["sub scribe", "点击", "x" * 65]),
    "EventKey": _xml_text(1025, 1100),
}
_NESTED = {"a": "1", "b": ["2", "3"]}


# The fields the service reads, and for which message types the platform always sends them.
_REQUIRED_FOR = {
    "MsgType": None, "ToUserName": None, "FromUserName": None, "CreateTime": None,
    "MsgId": "message", "Event": "event", "Content": "text", "MediaId": "media",
}  # fmt: skip


def _required(name: str, msg_type: str) -> bool:
    need = _REQUIRED_FOR.get(name, "optional")
    if need == "message":
        return msg_type != "event"
    if need == "media":
        return msg_type in ("image", "voice", "video")
    return need is None or need == msg_type


@st.composite
def malformed_messages(draw: st.DrawFn) -> Fields:
    """A well-formed message with one field the service reads missing, broken, repeated or
    holding elements of its own."""
    fields = draw(wechat_messages())
    values = dict(fields)
    msg_type = str(values["MsgType"])
    ways = []
    for name in values:
        if name in _WECHAT_BREAKAGES:
            ways.append((name, "break"))
        if name in _REQUIRED_FOR or name == "EventKey":
            ways += [(name, "repeat"), (name, "nest")]
        if _required(name, msg_type):
            ways.append((name, "drop"))
    name, how = draw(st.sampled_from(ways))
    index = next(i for i, (n, _) in enumerate(fields) if n == name)
    if how == "drop":
        del fields[index]
    elif how == "break":
        fields[index] = (name, draw(_WECHAT_BREAKAGES[name]))
    elif how == "repeat":
        fields.insert(index, fields[index])
    else:
        fields[index] = (name, _NESTED)
    return fields


_tags = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,12}\Z")
_READ = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "Content", "Event",
         "EventKey", "MediaId"]  # fmt: skip
_xml_trees = st.recursive(
    _xml_text(0, 40) | st.integers(),
    lambda inner: st.dictionaries(_tags | st.sampled_from(_READ), inner, max_size=4),
    max_leaves=12,
)


def _not_xml() -> Any:
    # Without "<xml" no document can have the root element a WeChat message has.
    return st.one_of(
        st.binary(max_size=200).filter(lambda b: b"<xml" not in b),
        _xml_text(0, 100).map(str.encode).filter(lambda b: b"<xml" not in b),
        st.sampled_from([
            b"", b"<xml>", b"<xml><Content>broken", b"<other/>", b"<xml></other>",
            b"<xml>\xff\xfe</xml>", b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]><xml/>',
        ]),
    )  # fmt: skip


def render_fields(fields: Fields | dict[str, Any]) -> bytes:
    """The message XML as the platform writes it (the double's writer): numbers bare,
    text as CDATA."""
    items = fields.items() if isinstance(fields, dict) else fields
    return render_xml(items).encode()


def wechat_inputs() -> Any:
    """Every kind of WeChat webhook input (see the module's table); the target signs them."""
    return st.one_of(
        wechat_messages().map(lambda f: Input("valid", render_fields(f))),
        malformed_messages().map(lambda f: Input("malformed", render_fields(f))),
        _xml_trees.filter(lambda t: isinstance(t, dict)).map(
            lambda t: Input("junk", render_fields(t))
        ),
        _not_xml().map(lambda b: Input("not_xml", b)),
        _not_xml().map(lambda b: Input("not_xml", b, envelope=False)),
        wechat_messages().map(lambda f: Input("forged", render_fields(f), forged=True)),
    )
