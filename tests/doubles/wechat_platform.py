"""A loopback double of the WeChat Official Account platform, for tests.

The chatbot meets WeChat in two places, and this module plays the platform's side of both:

* :class:`WeChatPlatform` is WeChat pushing messages to the bank's webhook. It writes the
  message XML the platform sends (texts, images, voice notes, subscribe / unsubscribe / menu
  events), signs the request (``signature`` over token, timestamp and nonce), and in compatible
  or safe mode encrypts it (AES-256-CBC under the EncodingAESKey, ``msg_signature`` over the
  ciphertext too). It then reads the webhook's answer the way the platform does: empty or
  ``success`` means "no reply", anything else must be a well-formed reply XML - in safe mode
  encrypted, with a valid ``MsgSignature`` and the account's app id inside - or
  :class:`ReplyError` is raised. It can also forge what the platform never sends but an
  attacker might: wrong, missing or stale signatures, tampered ciphertexts, raw hostile bodies,
  and it redelivers requests byte for byte, as the platform does when a webhook is slow.
* :class:`WeChatApiServer` is ``https://api.weixin.qq.com`` on a free loopback port: access
  tokens, customer-service messages (with the 48-hour service window and its message quota),
  template messages, the custom menu and media downloads, with the platform's ``errcode``
  answers and per-path fault injection.

Both read one injectable clock (:class:`FakeClock` by default), so a test moves past the 48-hour
window or a token's two-hour lifetime by advancing the clock, not by sleeping. Messages pushed
through :class:`WeChatPlatform` open service windows on its :class:`WeChatApiServer`, exactly as
a user's message opens one on the real platform.

Everything here is written from the platform's public documentation; the crypto helpers
(:func:`sha1_signature`, :func:`encrypt_message`, :func:`decrypt_message`) are exported so that
a test can also act as the bank's side.

Typical use::

    async with WeChatPlatform(encoding_aes_key=KEY) as wx:
        app = make_bank_app(api_base_url=wx.api.base_url, token=wx.token, ...)
        wx.webhook_url = await serve(app)
        result = await wx.send_text(openid, "I want to complain")
        assert result.reply is not None and "received" in result.reply.content
        message = await wx.api.wait_for_custom_message(openid)

Everything runs on the test's event loop; nothing here is thread-safe, nor needs to be.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import ipaddress
import itertools
import json
import os
import re
import secrets
import string
import struct
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, Literal, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from yarl import URL

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_APP_ID",
    "DEFAULT_APP_SECRET",
    "DEFAULT_TOKEN",
    "ApiCall",
    "CryptoError",
    "CustomMessage",
    "DeliveryResult",
    "FakeClock",
    "Fault",
    "Mode",
    "PreparedRequest",
    "PushOptions",
    "Reply",
    "ReplyError",
    "ServiceWindow",
    "Tamper",
    "TemplateMessage",
    "UrlVerification",
    "WeChatApiServer",
    "WeChatPlatform",
    "decode_aes_key",
    "decrypt_message",
    "encrypt_message",
    "new_encoding_aes_key",
    "new_openid",
    "parse_xml",
    "pkcs7_pad",
    "pkcs7_unpad",
    "render_xml",
    "sha1_signature",
]

JSONDict = dict[str, Any]
_T = TypeVar("_T")

Mode = Literal["plain", "compat", "safe"]
"""Message encryption mode of the account: plaintext, compatible (both) or safe (ciphertext)."""

Tamper = Literal[
    "signature",  # a wrong ``signature``
    "no_signature",  # ``signature`` left out
    "no_timestamp",  # ``timestamp`` left out (the signature still covers the real one)
    "msg_signature",  # a wrong ``msg_signature`` (compat / safe mode)
    "no_msg_signature",  # ``msg_signature`` left out (compat / safe mode)
    "app_id",  # encrypted for another app id, validly signed (compat / safe mode)
    "ciphertext",  # a ciphertext byte flipped, then validly signed (compat / safe mode)
]
"""How to forge a push; every forgery is something the real platform never sends."""

_ENCRYPTED_TAMPERS = frozenset({"msg_signature", "no_msg_signature", "app_id", "ciphertext"})

DEFAULT_TOKEN = "FeedbackDeskTestToken"
DEFAULT_APP_ID = "wx5f3c2a1b9d8e7f60"
DEFAULT_APP_SECRET = "0123456789abcdef0123456789abcdef"
DEFAULT_ACCOUNT_ID = "gh_3a9c5e7b1d2f"  # the account's "original id", ToUserName of every push
_FOREIGN_APP_ID = "wx0000000000000000"

# Documented limits and lifetimes of the platform.
ACCESS_TOKEN_LIFETIME = 7200.0
MESSAGE_QUOTA = 5  # customer-service messages allowed after a user's message ...
MESSAGE_WINDOW = 48 * 3600.0  # ... within 48 hours of it
EVENT_QUOTA = 3  # after a menu click, a subscription or a QR scan: 3 messages ...
EVENT_WINDOW = 60.0  # ... within one minute
MAX_CUSTOM_TEXT_BYTES = 2048
MAX_TOP_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MAX_TOP_NAME_BYTES = 16
MAX_SUB_NAME_BYTES = 60
MAX_KEY_BYTES = 128
MAX_URL_BYTES = 1024
MAX_NEWS_ARTICLES = 8
MEDIA_LIFETIME = 3 * 24 * 3600.0  # temporary media expire after three days
REPLY_DEADLINE = 5.0  # seconds the platform waits for the webhook before retrying
AES_BLOCK = 32  # the spec pads to 32 bytes, not to AES's 16

# User actions that open (or refresh) a customer-service window, by event name. Other events
# (VIEW, LOCATION, TEMPLATESENDJOBFINISH, ...) open none.
_WINDOW_EVENTS = frozenset({"subscribe", "SCAN", "CLICK", "scancode_push", "scancode_waitmsg"})

_REPLY_TYPES = frozenset(
    {"text", "image", "voice", "video", "music", "news", "transfer_customer_service"}
)

_KEYED_BUTTONS = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
_BUTTON_TYPES = _KEYED_BUTTONS | {
    "view",
    "miniprogram",
    "media_id",
    "view_limited",
    "article_id",
    "article_view_limited",
}

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40024: "invalid sub button type",
    40025: "invalid sub button name size",
    40026: "invalid sub button key size",
    40027: "invalid sub button url size",
    40037: "invalid template_id",
    40054: "invalid sub button url domain",
    40055: "invalid button url domain",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41006: "media_id missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    44004: "empty content",
    45002: "content size out of limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    46003: "menu no exist",
    47001: "data format error",
}

# A few bytes with the right magic numbers, for media that tests do not care to supply.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
FAKE_AMR = b"#!AMR\n" + b"\x3c" + bytes(31)


# ==================================================================== clock


class FakeClock:
    """Seconds since the epoch, like :func:`time.time`, but moving only when told to.

    Without ``start`` it starts at the current second, so timestamps look fresh to code that
    compares them with the wall clock, and then stays put.
    """

    def __init__(self, start: float | dt.datetime | None = None) -> None:
        self._now = float(int(time.time())) if start is None else _epoch(start)

    def __call__(self) -> float:
        return self._now

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0, days: float = 0.0
    ) -> float:
        """Move forward (never back: the platform's clock is monotonic) and return the time."""
        step = seconds + 60 * minutes + 3600 * hours + 86400 * days
        if step < 0:
            raise ValueError("the clock only moves forward")
        self._now += step
        return self._now

    def set(self, when: float | dt.datetime) -> None:
        self._now = _epoch(when)

    def datetime(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._now, dt.UTC)


def _epoch(when: float | dt.datetime) -> float:
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("use an aware datetime: a naive one has no defined instant")
        return when.timestamp()
    return float(when)


# ==================================================================== crypto and XML


class CryptoError(ValueError):
    """A ciphertext that does not decrypt to a well-formed message."""


class ReplyError(AssertionError):
    """The webhook answered something the platform would not accept as a reply.

    An AssertionError, because in a test it means the product is wrong.
    """


def sha1_signature(*parts: str) -> str:
    """The platform's signature: SHA-1 of the parts sorted as strings and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - the spec's


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """AESKey = Base64-decode(EncodingAESKey + "="): 43 letters and digits give 32 bytes.

    The 43rd character carries two bits beyond the 256 used; like the platform, ignore them
    (the documentation's own sample key has them set).
    """
    if len(encoding_aes_key) != 43 or not encoding_aes_key.isascii():
        raise ValueError("an EncodingAESKey is 43 characters long")
    if not encoding_aes_key.isalnum():
        raise ValueError("an EncodingAESKey consists of letters and digits only")
    key = base64.b64decode(encoding_aes_key + "=")
    assert len(key) == 32
    return key


def new_encoding_aes_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(43))


def new_openid() -> str:
    """An openid of the platform's shape: "o" and 27 URL-safe characters."""
    return "o" + secrets.token_urlsafe(21)[:27]


def pkcs7_pad(data: bytes, block_size: int = AES_BLOCK) -> bytes:
    """PKCS#7 to ``block_size``: 1..block_size bytes each holding the pad length."""
    pad = block_size - len(data) % block_size
    return data + bytes([pad]) * pad


def pkcs7_unpad(data: bytes, block_size: int = AES_BLOCK) -> bytes:
    """Strict inverse of :func:`pkcs7_pad`.

    Stricter than the platform's sample code, which only range-checks the last byte: a sender
    padding to AES's 16-byte block instead of the spec's 32 should fail here, in a test, rather
    than half-work in production.
    """
    if not data or len(data) % block_size:
        raise CryptoError(f"padded data is not a whole number of {block_size}-byte blocks")
    pad = data[-1]
    if not 1 <= pad <= block_size or data[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad PKCS#7 padding")
    return data[:-pad]


def encrypt_message(
    message: bytes | str,
    encoding_aes_key: str,
    app_id: str,
    *,
    random_prefix: bytes | None = None,
) -> str:
    """The ``Encrypt`` value for ``message``, per the platform's message-encryption spec.

    Plaintext = 16 random bytes + message length (4 bytes, big-endian) + message + app id,
    PKCS#7-padded to 32 bytes; AES-256-CBC with IV = the key's first 16 bytes; then Base64.
    """
    key = decode_aes_key(encoding_aes_key)
    body = message.encode() if isinstance(message, str) else message
    prefix = os.urandom(16) if random_prefix is None else random_prefix
    if len(prefix) != 16:
        raise ValueError("the random prefix is 16 bytes")
    plain = pkcs7_pad(prefix + struct.pack(">I", len(body)) + body + app_id.encode())
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt_message(encrypted: str, encoding_aes_key: str) -> tuple[bytes, str]:
    """The message and the app id inside an ``Encrypt`` value; :class:`CryptoError` if broken."""
    key = decode_aes_key(encoding_aes_key)
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError(f"Encrypt is not Base64: {exc}") from None
    if not raw or len(raw) % 16:
        raise CryptoError("the ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = pkcs7_unpad(decryptor.update(raw) + decryptor.finalize())
    if len(plain) < 20:
        raise CryptoError("the plaintext is shorter than its random prefix and length field")
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise CryptoError("the length field runs past the end of the plaintext")
    try:
        app_id = plain[20 + length :].decode()
    except UnicodeDecodeError:
        raise CryptoError("the trailing app id is not UTF-8") from None
    return plain[20 : 20 + length], app_id


def _cdata(value: str) -> str:
    # "]]>" cannot occur inside a CDATA section: end the section before ">" and start another.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _element(name: str, value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError(f"{name}: booleans have no XML form on this platform")
    if isinstance(value, int):
        inner = str(value)  # numbers go bare, as the platform writes CreateTime and MsgId
    elif isinstance(value, Mapping):
        inner = "".join(_element(k, v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        inner = "".join(_element("item", v) for v in value)
    else:
        inner = _cdata(str(value))
    return f"<{name}>{inner}</{name}>"


def render_xml(fields: Iterable[tuple[str, Any]]) -> str:
    """A message in the platform's layout: ``<xml>``, one element per line, strings as CDATA."""
    return "<xml>" + "\n".join(_element(name, value) for name, value in fields) + "\n</xml>"


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_xml(data: bytes | str) -> JSONDict:
    """A flat-ish dict of an ``<xml>`` document: leaves as text, nested elements as dicts,
    repeated elements as lists. Refuses DTDs, which no legitimate message carries."""
    raw = data.encode() if isinstance(data, str) else data
    if _DTD.search(raw):
        raise ValueError("the document declares a DTD")
    try:
        # Safe here: DTDs were refused above, so there is nothing to expand.
        root = ET.fromstring(raw)  # noqa: S314
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise ValueError(f"the root element is <{root.tag}>, not <xml>")
    value = _xml_value(root)
    return value if isinstance(value, dict) else {}


def _xml_value(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    result: JSONDict = {}
    for child in children:
        value = _xml_value(child)
        if child.tag in result:
            earlier = result[child.tag]
            result[child.tag] = [*earlier, value] if isinstance(earlier, list) else [earlier, value]
        else:
            result[child.tag] = [value] if child.tag == "item" else value
    return result


# ==================================================================== pushes to the webhook


class PushOptions(TypedDict, total=False):
    """Per-push overrides shared by every ``build_*`` and ``send_*`` method."""

    create_time: int  # CreateTime of the message; default: the clock
    timestamp: int  # the query's timestamp; default: the clock. Old values make a stale push.
    nonce: str
    tamper: Tamper
    extra: Mapping[str, Any]  # further fields appended to the message XML


@dataclass(frozen=True)
class PreparedRequest:
    """One push, ready to POST and to POST again byte for byte.

    ``serial`` identifies the user action: redeliveries and re-signed copies keep it, so the
    action opens a service window once however often it is delivered.
    """

    kind: str  # "text", "image", "voice", "event" or "raw"
    openid: str | None
    query: tuple[tuple[str, str], ...]
    body: bytes
    message: bytes  # the plaintext message XML (the inner one when encrypted)
    fields: tuple[tuple[str, Any], ...]  # what ``message`` was rendered from; () for raw bodies
    encrypted: bool
    event: str | None
    msg_id: int | None
    create_time: int | None
    genuine: bool  # False for forgeries, which open no service window
    serial: int

    @property
    def params(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def encrypt(self) -> str | None:
        """The Encrypt value in the body, if any."""
        match = re.search(rb"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", self.body, re.DOTALL)
        return match.group(1).decode() if match else None

    def with_query(self, **changes: str | None) -> PreparedRequest:
        """A forged copy with query parameters replaced, added, or (``None``) removed."""
        query = dict(self.query)
        for name, value in changes.items():
            if value is None:
                query.pop(name, None)
            else:
                query[name] = value
        return replace(self, query=tuple(query.items()), genuine=False)

    def with_body(self, body: bytes | str) -> PreparedRequest:
        """A forged copy with another body and the same (now mismatching) query."""
        raw = body.encode() if isinstance(body, str) else body
        return replace(self, body=raw, genuine=False)


@dataclass(frozen=True)
class Reply:
    """A passive reply the webhook returned, decrypted if it was encrypted.

    Index it by element name (``reply["MsgType"]``) or use the shortcuts.
    """

    xml: bytes
    fields: JSONDict
    encrypted: bool

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    @property
    def msg_type(self) -> str:
        return str(self.fields.get("MsgType", ""))

    @property
    def content(self) -> str | None:
        value = self.fields.get("Content")
        return value if isinstance(value, str) else None

    @property
    def to_user(self) -> str:
        return str(self.fields.get("ToUserName", ""))

    @property
    def from_user(self) -> str:
        return str(self.fields.get("FromUserName", ""))

    @property
    def create_time(self) -> int:
        return int(self.fields.get("CreateTime", 0))

    @property
    def media_id(self) -> str | None:
        for holder in ("Image", "Voice", "Video"):
            inner = self.fields.get(holder)
            media_id = inner.get("MediaId") if isinstance(inner, dict) else None
            if isinstance(media_id, str):
                return media_id
        return None


@dataclass(frozen=True)
class DeliveryResult:
    """How the webhook answered one push. ``status`` is 0 if it did not answer in time."""

    request: PreparedRequest
    status: int
    body: bytes
    headers: Mapping[str, str]
    reply: Reply | None
    elapsed: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return not self.timed_out and 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


@dataclass(frozen=True)
class UrlVerification:
    """The answer to the platform's GET check of the server URL."""

    status: int
    body: bytes
    echostr: str
    query: Mapping[str, str]

    @property
    def ok(self) -> bool:
        """What the platform accepts: status 200 and the echostr back, exactly."""
        return self.status == HTTPStatus.OK and self.body == self.echostr.encode()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WeChatPlatform:
    """The platform pushing to the bank's webhook, plus the API server the bank calls back.

    ``mode`` defaults to "safe" when an ``encoding_aes_key`` is given, else "plain". The API
    server is created from ``app_id`` / ``app_secret`` unless one is passed in, shares the
    clock, and is started and stopped with the platform if the platform created it or it was
    not running yet.
    """

    def __init__(
        self,
        webhook_url: str | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        app_id: str = DEFAULT_APP_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        encoding_aes_key: str | None = None,
        mode: Mode | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        now: Callable[[], float] | None = None,
        api: WeChatApiServer | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
        reply_timeout: float = REPLY_DEADLINE,
    ) -> None:
        if mode is None:
            mode = "plain" if encoding_aes_key is None else "safe"
        if mode != "plain":
            if encoding_aes_key is None:
                raise ValueError(f"{mode} mode needs an encoding_aes_key")
            decode_aes_key(encoding_aes_key)  # fail early on a malformed key
        self.token = token
        self.app_id = app_id
        self.app_secret = app_secret
        self.encoding_aes_key = encoding_aes_key
        self.mode: Mode = mode
        self.account_id = account_id
        self.reply_timeout = reply_timeout
        self._random_bytes = random_bytes
        self.api = api or WeChatApiServer(app_id, app_secret, now=now)
        self.now: Callable[[], float] = now or self.api.now
        self._webhook_url: str | None = None
        if webhook_url is not None:
            self.webhook_url = webhook_url
        self._session: ClientSession | None = None
        self._owns_api = False
        self._serials = itertools.count(1)
        self._msg_ids = itertools.count(24_681_357_902_468_001)  # 17 digits, like real MsgIds
        self._delivered_serials: set[int] = set()
        self.deliveries: list[DeliveryResult] = []

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> WeChatPlatform:
        if self._session is not None:
            raise RuntimeError("the platform double is already running")
        if not self.api.running:
            await self.api.start()
            self._owns_api = True
        self._session = ClientSession()
        return self

    async def stop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        if self._owns_api:
            self._owns_api = False
            await self.api.stop()

    async def __aenter__(self) -> WeChatPlatform:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def webhook_url(self) -> str:
        if self._webhook_url is None:
            raise RuntimeError("set webhook_url to the bank's webhook first")
        return self._webhook_url

    @webhook_url.setter
    def webhook_url(self, url: str) -> None:
        # The double must never talk to anything but this machine.
        if not _is_loopback(url):
            raise ValueError(f"the webhook must be on a loopback address, not {url!r}")
        self._webhook_url = url

    def new_openid(self) -> str:
        return new_openid()

    # ---------------------------------------------------------------- building pushes

    def build_text(
        self, openid: str, text: str, *, msg_id: int | None = None, **options: Unpack[PushOptions]
    ) -> PreparedRequest:
        fields = [("Content", text), ("MsgId", self._msg_id(msg_id))]
        return self._build("text", openid, fields, None, options)

    def build_image(
        self,
        openid: str,
        media_id: str | None = None,
        *,
        pic_url: str | None = None,
        data: bytes = FAKE_JPEG,
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> PreparedRequest:
        """An image message; its media id is registered with the API server for download."""
        media_id = media_id or self._media_id()
        if not self.api.has_media(media_id):
            self.api.add_media(media_id, data, "image/jpeg")
        if pic_url is None:
            pic_url = self.api.picture_url(media_id)
        fields = [("PicUrl", pic_url), ("MediaId", media_id), ("MsgId", self._msg_id(msg_id))]
        return self._build("image", openid, fields, None, options)

    def build_voice(
        self,
        openid: str,
        media_id: str | None = None,
        *,
        audio_format: str = "amr",
        recognition: str | None = None,
        data: bytes = FAKE_AMR,
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> PreparedRequest:
        """A voice note; ``recognition`` adds the field sent when speech recognition is on."""
        media_id = media_id or self._media_id()
        if not self.api.has_media(media_id):
            self.api.add_media(media_id, data, f"audio/{audio_format}")
        fields: list[tuple[str, Any]] = [("MediaId", media_id), ("Format", audio_format)]
        if recognition is not None:
            fields.append(("Recognition", recognition))
        fields.append(("MsgId", self._msg_id(msg_id)))
        return self._build("voice", openid, fields, None, options)

    def build_location(
        self,
        openid: str,
        latitude: float = 31.2397,
        longitude: float = 121.4998,
        *,
        label: str = "上海市浦东新区陆家嘴环路",
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> PreparedRequest:
        """A location the user shared from the chat's "+" panel."""
        fields: list[tuple[str, Any]] = [
            ("Location_X", latitude),
            ("Location_Y", longitude),
            ("Scale", 15),
            ("Label", label),
            ("MsgId", self._msg_id(msg_id)),
        ]
        return self._build("location", openid, fields, None, options)

    def build_link(
        self,
        openid: str,
        url: str = "https://mp.weixin.qq.com/s/test-article",
        *,
        title: str = "一篇文章",
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> PreparedRequest:
        """A link (an article shared into the chat)."""
        fields: list[tuple[str, Any]] = [
            ("Title", title),
            ("Description", "文章摘要"),
            ("Url", url),
            ("MsgId", self._msg_id(msg_id)),
        ]
        return self._build("link", openid, fields, None, options)

    def build_file(
        self,
        openid: str,
        title: str = "流水.pdf",
        *,
        size: int = 20480,
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> PreparedRequest:
        """A chat file: it names a FileKey, not a MediaId the API could fetch."""
        fields: list[tuple[str, Any]] = [
            ("Title", title),
            ("Description", title),
            ("FileKey", secrets.token_hex(16)),
            ("FileMd5", secrets.token_hex(16)),
            ("FileTotalLen", size),
            ("MsgId", self._msg_id(msg_id)),
        ]
        return self._build("file", openid, fields, None, options)

    def build_event(
        self,
        openid: str,
        event: str,
        *,
        event_key: str | None = None,
        **options: Unpack[PushOptions],
    ) -> PreparedRequest:
        """An event push (``subscribe``, ``unsubscribe``, ``CLICK``, ``VIEW``, ``SCAN``, ...).

        Events carry no MsgId; the platform's advice is to deduplicate them by FromUserName
        and CreateTime.
        """
        fields: list[tuple[str, Any]] = [("Event", event)]
        if event_key is not None:
            fields.append(("EventKey", event_key))
        return self._build("event", openid, fields, event, options)

    def build_click(
        self, openid: str, event_key: str, **options: Unpack[PushOptions]
    ) -> PreparedRequest:
        return self.build_event(openid, "CLICK", event_key=event_key, **options)

    def build_raw(
        self,
        body: bytes | str,
        *,
        encrypt: bool | None = None,
        openid: str | None = None,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> PreparedRequest:
        """A validly signed push of an arbitrary body, e.g. hostile XML.

        With ``encrypt`` (the default outside plain mode) ``body`` is the inner message and
        goes encrypted in a safe-mode envelope; otherwise it is posted verbatim, and outside
        plain mode ``msg_signature`` covers whatever Encrypt text the body holds (none: "").
        Raw pushes open no service window.
        """
        raw = body.encode() if isinstance(body, str) else body
        if encrypt is None:
            encrypt = self.mode != "plain"
        ts = str(int(self.now()) if timestamp is None else timestamp)
        nonce = nonce or self._nonce()
        encrypted_value: str | None = None
        if encrypt:
            encrypted_value = self._encrypt(raw, self.app_id)
            outer = render_xml([("ToUserName", self.account_id), ("Encrypt", encrypted_value)])
            out_body = outer.encode()
        else:
            out_body = raw
            if self.mode != "plain":
                # Found without an XML parser: the body may be exactly what breaks parsers.
                match = re.search(rb"<Encrypt>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</Encrypt>", raw)
                encrypted_value = match.group(1).decode(errors="replace") if match else ""
        return PreparedRequest(
            kind="raw",
            openid=openid,
            query=self._query(ts, nonce, openid, encrypted_value, None),
            body=out_body,
            message=raw,
            fields=(),
            encrypted=encrypt,
            event=None,
            msg_id=None,
            create_time=None,
            genuine=False,
            serial=next(self._serials),
        )

    def build_template_job_finish(
        self, openid: str, msg_id: int, status: str = "success", **options: Unpack[PushOptions]
    ) -> PreparedRequest:
        """The event the platform pushes once a template message was (or was not) delivered.

        Note the field is spelt ``MsgID`` here, unlike ``MsgId`` in user messages.
        """
        options["extra"] = {"MsgID": msg_id, "Status": status, **options.get("extra", {})}
        return self.build_event(openid, "TEMPLATESENDJOBFINISH", **options)

    def resign(
        self, prepared: PreparedRequest, *, timestamp: int | None = None, nonce: str | None = None
    ) -> PreparedRequest:
        """The same message pushed again with a fresh timestamp and nonce (and, when encrypted,
        a fresh random prefix, so a different Encrypt): only MsgId / CreateTime stay equal."""
        if prepared.kind == "raw":
            raise ValueError("re-sign a raw push by building it again")
        options: PushOptions = {"timestamp": int(self.now()) if timestamp is None else timestamp}
        if nonce is not None:
            options["nonce"] = nonce
        again = self._assemble(
            prepared.kind, prepared.openid or "", list(prepared.fields), prepared.event, options
        )
        return replace(again, serial=prepared.serial, genuine=prepared.genuine)

    # ---------------------------------------------------------------- sending pushes

    async def send_text(
        self, openid: str, text: str, *, msg_id: int | None = None, **options: Unpack[PushOptions]
    ) -> DeliveryResult:
        return await self.deliver(self.build_text(openid, text, msg_id=msg_id, **options))

    async def send_image(
        self,
        openid: str,
        media_id: str | None = None,
        *,
        pic_url: str | None = None,
        data: bytes = FAKE_JPEG,
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> DeliveryResult:
        prepared = self.build_image(
            openid, media_id, pic_url=pic_url, data=data, msg_id=msg_id, **options
        )
        return await self.deliver(prepared)

    async def send_voice(
        self,
        openid: str,
        media_id: str | None = None,
        *,
        audio_format: str = "amr",
        recognition: str | None = None,
        data: bytes = FAKE_AMR,
        msg_id: int | None = None,
        **options: Unpack[PushOptions],
    ) -> DeliveryResult:
        prepared = self.build_voice(
            openid,
            media_id,
            audio_format=audio_format,
            recognition=recognition,
            data=data,
            msg_id=msg_id,
            **options,
        )
        return await self.deliver(prepared)

    async def send_event(
        self,
        openid: str,
        event: str,
        *,
        event_key: str | None = None,
        **options: Unpack[PushOptions],
    ) -> DeliveryResult:
        return await self.deliver(self.build_event(openid, event, event_key=event_key, **options))

    async def click(
        self, openid: str, event_key: str, **options: Unpack[PushOptions]
    ) -> DeliveryResult:
        return await self.deliver(self.build_click(openid, event_key, **options))

    async def subscribe(self, openid: str, **options: Unpack[PushOptions]) -> DeliveryResult:
        return await self.send_event(openid, "subscribe", **options)

    async def unsubscribe(self, openid: str, **options: Unpack[PushOptions]) -> DeliveryResult:
        return await self.send_event(openid, "unsubscribe", **options)

    async def send_raw(self, body: bytes | str, **kwargs: Any) -> DeliveryResult:
        """:meth:`build_raw` and :meth:`deliver` in one."""
        return await self.deliver(self.build_raw(body, **kwargs))

    async def deliver(
        self,
        prepared: PreparedRequest,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the platform's deadline is modelled
    ) -> DeliveryResult:
        """POST ``prepared`` to the webhook, as often as called, and read the answer.

        The first delivery of a genuine user action opens its service window on the API
        server before the POST, as on the platform, so the webhook may already answer through
        the customer-service API while handling it. Raises :class:`ReplyError` for answers the
        platform would reject.
        """
        session = self._require_session()
        if prepared.serial not in self._delivered_serials:
            self._delivered_serials.add(prepared.serial)
            if prepared.genuine and prepared.openid and prepared.create_time is not None:
                self.api.note_push(
                    prepared.openid, prepared.kind, prepared.event, prepared.create_time
                )
        url = URL(self.webhook_url).extend_query(prepared.query)
        deadline = self.reply_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with session.post(
                url,
                data=prepared.body,
                headers={"Content-Type": "text/xml"},
                timeout=ClientTimeout(total=deadline),
            ) as response:
                body = await response.read()
                status, headers = response.status, dict(response.headers)
        except TimeoutError:
            result = DeliveryResult(
                prepared, 0, b"", {}, None, loop.time() - started, timed_out=True
            )
            self.deliveries.append(result)
            return result
        reply = self._read_reply(prepared, body) if 200 <= status < 300 else None
        result = DeliveryResult(prepared, status, body, headers, reply, loop.time() - started)
        self.deliveries.append(result)
        return result

    async def deliver_concurrently(
        self, prepared: PreparedRequest, times: int = 2
    ) -> list[DeliveryResult]:
        """The same request ``times`` times at once, as overlapping retries arrive."""
        return list(await asyncio.gather(*(self.deliver(prepared) for _ in range(times))))

    async def deliver_with_retries(
        self,
        prepared: PreparedRequest,
        *,
        attempts: int = 3,
        timeout: float | None = None,  # noqa: ASYNC109 - the platform's deadline is modelled
    ) -> list[DeliveryResult]:
        """Deliver as the platform does: give up on an attempt after the reply deadline and
        push the identical request again, up to ``attempts`` times in all.

        The documentation says "retries three times"; whether that counts the first push is
        unclear, so pass ``attempts=4`` for the pessimistic reading.
        """
        results: list[DeliveryResult] = []
        for _ in range(attempts):
            result = await self.deliver(prepared, timeout=timeout)
            results.append(result)
            if not result.timed_out:
                break
        return results

    async def verify_url(
        self,
        echostr: str | None = None,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        tamper: Literal["signature", "no_signature"] | None = None,
    ) -> UrlVerification:
        """The GET the platform sends when the server URL is saved: the webhook must answer
        with ``echostr`` if the signature is right. The echostr is plain in every mode."""
        session = self._require_session()
        echostr = echostr or str(secrets.randbelow(9 * 10**18) + 10**18)
        ts = str(int(self.now()) if timestamp is None else timestamp)
        nonce = nonce or self._nonce()
        query = dict(self._query(ts, nonce, None, None, tamper))
        query["echostr"] = echostr
        url = URL(self.webhook_url).extend_query(query)
        async with session.get(url, timeout=ClientTimeout(total=self.reply_timeout)) as response:
            return UrlVerification(response.status, await response.read(), echostr, query)

    # ---------------------------------------------------------------- internals

    def _require_session(self) -> ClientSession:
        if self._session is None:
            raise RuntimeError("start the platform double first (async with / await start())")
        return self._session

    def _msg_id(self, msg_id: int | None) -> int:
        return next(self._msg_ids) if msg_id is None else msg_id

    def _media_id(self) -> str:
        # Media ids are 64 URL-safe characters on the platform.
        return secrets.token_urlsafe(48)[:64]

    def _nonce(self) -> str:
        # The platform's nonces are decimal numbers of about ten digits.
        return str(secrets.randbelow(9 * 10**9) + 10**9)

    def _encrypt(self, message: bytes, app_id: str) -> str:
        assert self.encoding_aes_key is not None
        return encrypt_message(
            message, self.encoding_aes_key, app_id, random_prefix=self._random_bytes(16)
        )

    def _build(
        self,
        kind: str,
        openid: str,
        body_fields: list[tuple[str, Any]],
        event: str | None,
        options: PushOptions,
    ) -> PreparedRequest:
        create_time = options.get("create_time")
        if create_time is None:
            create_time = int(self.now())
        msg_type = "event" if kind == "event" else kind
        fields: list[tuple[str, Any]] = [
            ("ToUserName", self.account_id),
            ("FromUserName", openid),
            ("CreateTime", create_time),
            ("MsgType", msg_type),
            *body_fields,
            *(options.get("extra") or {}).items(),
        ]
        return self._assemble(kind, openid, fields, event, options)

    def _assemble(
        self,
        kind: str,
        openid: str,
        fields: list[tuple[str, Any]],
        event: str | None,
        options: PushOptions,
    ) -> PreparedRequest:
        tamper = options.get("tamper")
        if tamper in _ENCRYPTED_TAMPERS and self.mode == "plain":
            raise ValueError(f"tamper={tamper!r} needs compat or safe mode")
        message = render_xml(fields).encode()
        timestamp = options.get("timestamp")
        ts = str(int(self.now()) if timestamp is None else timestamp)
        nonce = options.get("nonce") or self._nonce()
        encrypted: str | None = None
        if self.mode == "plain":
            body = message
        else:
            encrypted = self._encrypt(
                message, _FOREIGN_APP_ID if tamper == "app_id" else self.app_id
            )
            if tamper == "ciphertext":
                encrypted = _flip_ciphertext(encrypted)
            if self.mode == "safe":
                envelope = [("ToUserName", self.account_id), ("Encrypt", encrypted)]
            else:
                envelope = [*fields, ("Encrypt", encrypted)]
            body = render_xml(envelope).encode()
        values = dict(fields)
        msg_id = values.get("MsgId")
        return PreparedRequest(
            kind=kind,
            openid=openid,
            query=self._query(ts, nonce, openid, encrypted, tamper),
            body=body,
            message=message,
            fields=tuple(fields),
            encrypted=encrypted is not None,
            event=event,
            msg_id=msg_id if isinstance(msg_id, int) else None,
            create_time=int(values["CreateTime"]),
            genuine=tamper is None and timestamp is None,
            serial=next(self._serials),
        )

    def _query(
        self,
        timestamp: str,
        nonce: str,
        openid: str | None,
        encrypted: str | None,
        tamper: str | None,
    ) -> tuple[tuple[str, str], ...]:
        signature = sha1_signature(self.token, timestamp, nonce)
        if tamper == "signature":
            signature = _wrong_hex(signature)
        query: list[tuple[str, str]] = []
        if tamper != "no_signature":
            query.append(("signature", signature))
        if tamper != "no_timestamp":
            query.append(("timestamp", timestamp))
        query.append(("nonce", nonce))
        if openid:
            # The platform names the sender in the URL too, not only in the body.
            query.append(("openid", openid))
        if encrypted is not None:
            msg_signature = sha1_signature(self.token, timestamp, nonce, encrypted)
            if tamper == "msg_signature":
                msg_signature = _wrong_hex(msg_signature)
            query.append(("encrypt_type", "aes"))
            if tamper != "no_msg_signature":
                query.append(("msg_signature", msg_signature))
        return tuple(query)

    def _read_reply(self, prepared: PreparedRequest, body: bytes) -> Reply | None:
        stripped = body.strip()
        if stripped in (b"", b"success"):
            return None
        try:
            outer = parse_xml(stripped)
        except ValueError as exc:
            raise ReplyError(f"the reply is neither empty, 'success' nor XML: {exc}") from None
        encrypted = outer.get("Encrypt")
        if encrypted is None:
            if self.mode == "safe":
                raise ReplyError("in safe mode the reply must be encrypted")
            inner, raw = outer, stripped
        else:
            if self.mode == "plain":
                raise ReplyError("the account is in plaintext mode, but the reply is encrypted")
            inner, raw = self._decrypt_reply(outer)
        self._check_reply(prepared, inner)
        return Reply(raw, inner, encrypted is not None)

    def _decrypt_reply(self, outer: JSONDict) -> tuple[JSONDict, bytes]:
        values: dict[str, str] = {}
        for name in ("Encrypt", "MsgSignature", "TimeStamp", "Nonce"):
            value = outer.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ReplyError(f"the encrypted reply lacks {name}")
            values[name] = value.strip()
        if not values["TimeStamp"].isdigit():
            raise ReplyError(f"TimeStamp {values['TimeStamp']!r} is not a number")
        expected = sha1_signature(
            self.token, values["TimeStamp"], values["Nonce"], values["Encrypt"]
        )
        if values["MsgSignature"] != expected:
            raise ReplyError("the reply's MsgSignature does not match its Encrypt")
        assert self.encoding_aes_key is not None
        try:
            message, app_id = decrypt_message(values["Encrypt"], self.encoding_aes_key)
        except CryptoError as exc:
            raise ReplyError(f"the reply does not decrypt: {exc}") from None
        if app_id != self.app_id:
            raise ReplyError(f"the reply was encrypted for app id {app_id!r}, not {self.app_id!r}")
        try:
            return parse_xml(message), message
        except ValueError as exc:
            raise ReplyError(f"the decrypted reply is not a message: {exc}") from None

    def _check_reply(self, prepared: PreparedRequest, reply: JSONDict) -> None:
        # What the platform needs to show a reply at all; anything less and the user sees
        # "this account cannot provide service right now".
        if prepared.openid and reply.get("ToUserName") != prepared.openid:
            raise ReplyError(
                f"the reply goes to {reply.get('ToUserName')!r}, not to {prepared.openid!r}"
            )
        if reply.get("FromUserName") != self.account_id:
            raise ReplyError(
                f"the reply comes from {reply.get('FromUserName')!r}, not {self.account_id!r}"
            )
        create_time = reply.get("CreateTime")
        if not isinstance(create_time, str) or not create_time.strip().isdigit():
            raise ReplyError(f"the reply's CreateTime {create_time!r} is not a number")
        msg_type = reply.get("MsgType")
        if msg_type not in _REPLY_TYPES:
            raise ReplyError(f"{msg_type!r} is not a reply message type")
        if msg_type == "text" and not isinstance(reply.get("Content"), str):
            raise ReplyError("a text reply needs Content")
        if msg_type in ("image", "voice", "video"):
            holder = reply.get(msg_type.capitalize())
            if not isinstance(holder, dict) or not holder.get("MediaId"):
                raise ReplyError(f"an {msg_type} reply needs {msg_type.capitalize()}/MediaId")
        if msg_type == "news":
            articles = reply.get("Articles")
            items = articles.get("item") if isinstance(articles, dict) else None
            count = str(reply.get("ArticleCount", ""))
            if not isinstance(items, list) or not count.isdigit() or int(count) != len(items):
                raise ReplyError("a news reply needs ArticleCount matching its Articles items")
            if not 1 <= len(items) <= MAX_NEWS_ARTICLES:
                raise ReplyError(f"a news reply holds 1 to {MAX_NEWS_ARTICLES} articles")


def _wrong_hex(value: str) -> str:
    return ("0" if value[0] != "0" else "1") + value[1:]


def _flip_ciphertext(encrypted: str) -> str:
    # Flipping a bit of the second-to-last block flips the same bit of the last plaintext
    # block, i.e. of the padding: the result fails padding or app-id checks, deterministically.
    raw = bytearray(base64.b64decode(encrypted))
    raw[-17] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


# ==================================================================== the API server


class _WeChatError(Exception):
    """An ``errcode`` answer of the API (sent with HTTP 200, as the platform does)."""

    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        self.errcode = errcode
        self.errmsg = errmsg if errmsg is not None else _errmsg(errcode)
        super().__init__(f"{self.errcode}: {self.errmsg}")

    def payload(self) -> JSONDict:
        return {"errcode": self.errcode, "errmsg": self.errmsg}


def _errmsg(errcode: int) -> str:
    # The platform appends a request id to its messages; code must go by errcode, not text.
    rid = "-".join(secrets.token_hex(4) for _ in range(3))
    return f"{ERRMSG.get(errcode, 'unknown error')} rid: {rid}"


@dataclass(frozen=True)
class Fault:
    """A scripted answer for one API request.

    ``errcode`` set: HTTP 200 with that errcode (how the platform reports most failures).
    Otherwise ``status`` with ``body`` (default: a gateway's HTML page); ``status`` None means
    "answer normally, but only after ``delay`` seconds".
    """

    status: int | None = 502
    errcode: int | None = None
    errmsg: str | None = None
    body: bytes | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class ApiCall:
    """One request to the API server and how it was answered."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    json: Any
    status: int
    response: JSONDict | None  # None for non-JSON answers (media bytes, injected pages)
    at: float  # the shared clock

    @property
    def errcode(self) -> int | None:
        if self.response is None:
            return None
        return int(self.response.get("errcode", 0))


@dataclass(frozen=True)
class CustomMessage:
    """A customer-service message the API accepted."""

    openid: str
    msgtype: str
    payload: JSONDict
    at: float

    @property
    def text(self) -> str | None:
        if self.msgtype != "text":
            return None
        return str(self.payload.get("text", {}).get("content", ""))


@dataclass(frozen=True)
class TemplateMessage:
    openid: str
    template_id: str
    data: JSONDict
    url: str | None
    payload: JSONDict
    msgid: int
    at: float


@dataclass(frozen=True)
class ServiceWindow:
    """How long, and how many more, customer-service messages may go to a user."""

    opened_at: float
    expires_at: float
    remaining: int

    def open_at(self, now: float) -> bool:
        return now < self.expires_at


@dataclass
class _User:
    openid: str
    subscribed: bool = True
    window: ServiceWindow | None = None


@dataclass
class _Token:
    value: str
    issued_at: float
    state: Literal["valid", "invalid", "expired"] = "valid"
    superseded_at: float | None = None


@dataclass(frozen=True)
class _Media:
    data: bytes
    content_type: str
    added_at: float


_Handler = Callable[[web.Request, bytes], Awaitable[JSONDict | web.Response]]


class WeChatApiServer:
    """``api.weixin.qq.com`` on 127.0.0.1, for the bank's API calls.

    ``token_lifetime`` None makes tokens live until invalidated or expired by hand;
    ``token_overlap`` set makes a token die that many seconds after a newer one is issued
    (None: it lives on, the lenient reading of the platform's overlap period).
    """

    def __init__(
        self,
        app_id: str = DEFAULT_APP_ID,
        app_secret: str = DEFAULT_APP_SECRET,
        *,
        now: Callable[[], float] | None = None,
        host: str = "127.0.0.1",
        token_lifetime: float | None = ACCESS_TOKEN_LIFETIME,
        token_overlap: float | None = None,
        message_quota: int = MESSAGE_QUOTA,
        message_window: float = MESSAGE_WINDOW,
        event_quota: int = EVENT_QUOTA,
        event_window: float = EVENT_WINDOW,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.now: Callable[[], float] = now or FakeClock()
        self.token_lifetime = token_lifetime
        self.token_overlap = token_overlap
        self.message_quota = message_quota
        self.message_window = message_window
        self.event_quota = event_quota
        self.event_window = event_window
        self._host = host
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        # Replaced on every state change; waiters take the current one and wait on it.
        self._changed = asyncio.Event()

        self._calls: list[ApiCall] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._tokens: dict[str, _Token] = {}
        self._token_numbers = itertools.count(86)
        self.token_fetches = 0
        self._users: dict[str, _User] = {}
        self._custom: list[CustomMessage] = []
        self._custom_cursor: dict[str | None, int] = {}
        self._templates: list[TemplateMessage] = []
        self._template_cursor: dict[str | None, int] = {}
        self._template_msgids = itertools.count(2_930_000_000_000_001)
        self._known_templates: set[str] = set()
        self._media: dict[str, _Media] = {}
        self.menu: list[JSONDict] | None = None
        self.menu_history: list[list[JSONDict]] = []

        self._routes: dict[tuple[str, str], _Handler] = {
            ("GET", "/cgi-bin/token"): self._token,
            ("POST", "/cgi-bin/message/custom/send"): self._custom_send,
            ("POST", "/cgi-bin/message/template/send"): self._template_send,
            ("POST", "/cgi-bin/menu/create"): self._menu_create,
            ("GET", "/cgi-bin/menu/get"): self._menu_get,
            ("GET", "/cgi-bin/menu/delete"): self._menu_delete,
            ("GET", "/cgi-bin/media/get"): self._media_get,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> WeChatApiServer:
        """Listen on a free loopback port; after `stop` (the platform out of reach), on the
        same port again, with everything it recorded."""
        if self._runner is not None:
            raise RuntimeError("the API double is already running")
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.+}", self._handle)
        app.router.add_get("/mmbiz_jpg/{media_id}/0", self._picture)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port or 0)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> WeChatApiServer:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the API double is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Stands for ``https://api.weixin.qq.com``."""
        return f"http://{self._host}:{self.port}"

    @property
    def cgi_bin_url(self) -> str:
        """Stands for ``https://api.weixin.qq.com/cgi-bin/``, the prefix many SDKs configure."""
        return f"{self.base_url}/cgi-bin/"

    def picture_url(self, media_id: str) -> str:
        """Where an image message's PicUrl points: served here while running."""
        if self._port is None:
            return f"http://mmbiz.qpic.cn/mmbiz_jpg/{media_id}/0"
        return f"{self.base_url}/mmbiz_jpg/{media_id}/0"

    # ---------------------------------------------------------------- inspection

    def calls(self, path: str | None = None) -> list[ApiCall]:
        """Every request, oldest first, optionally to one path (e.g. "/cgi-bin/token")."""
        if path is None:
            return list(self._calls)
        key = _path_key(path)
        return [c for c in self._calls if c.path == key]

    def custom_messages(self, openid: str | None = None) -> list[CustomMessage]:
        return [m for m in self._custom if openid is None or m.openid == openid]

    def template_messages(self, openid: str | None = None) -> list[TemplateMessage]:
        return [m for m in self._templates if openid is None or m.openid == openid]

    @property
    def issued_tokens(self) -> list[str]:
        return list(self._tokens)

    def window(self, openid: str) -> ServiceWindow | None:
        """The user's customer-service window, if one is open now."""
        user = self._users.get(openid)
        if user is None or user.window is None or not user.window.open_at(self.now()):
            return None
        return user.window

    def is_subscribed(self, openid: str) -> bool:
        user = self._users.get(openid)
        return bool(user and user.subscribed)

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

    async def wait_for_custom_message(
        self,
        openid: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> CustomMessage:
        """The next customer-service message (to ``openid``, or to anyone) that no earlier
        call returned; messages sent before the call count, so there is no race."""
        index = self._custom_cursor.get(openid, 0)

        def probe() -> CustomMessage | None:
            messages = self.custom_messages(openid)
            return messages[index] if len(messages) > index else None

        def what() -> str:
            texts = [m.text for m in self.custom_messages(openid)]
            return f"customer-service message #{index + 1} to {openid or 'anyone'} ({texts!r})"

        message = await self._wait(probe, timeout, what)
        self._custom_cursor[openid] = index + 1
        return message

    async def wait_for_template_message(
        self,
        openid: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> TemplateMessage:
        """Like :meth:`wait_for_custom_message`, for template messages."""
        index = self._template_cursor.get(openid, 0)

        def probe() -> TemplateMessage | None:
            messages = self.template_messages(openid)
            return messages[index] if len(messages) > index else None

        message = await self._wait(
            probe, timeout, lambda: f"template message #{index + 1} to {openid or 'anyone'}"
        )
        self._template_cursor[openid] = index + 1
        return message

    async def wait_for_call(
        self,
        path: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ApiCall:
        """Until ``count`` requests to ``path`` have arrived; returns the ``count``-th."""

        def probe() -> ApiCall | None:
            calls = self.calls(path)
            return calls[count - 1] if len(calls) >= count else None

        return await self._wait(probe, timeout, lambda: f"request #{count} to {path}")

    # ---------------------------------------------------------------- users and windows

    def add_user(self, openid: str, *, subscribed: bool = True) -> None:
        """A follower who has not interacted yet (no service window)."""
        self._user(openid).subscribed = subscribed

    def set_subscribed(self, openid: str, subscribed: bool) -> None:
        user = self._user(openid)
        user.subscribed = subscribed
        if not subscribed:
            user.window = None
        self._bump()

    def set_last_interaction(self, openid: str, when: float | dt.datetime | None = None) -> None:
        """As if the user's last message arrived at ``when`` (default: now): a fresh window
        of ``message_window`` seconds with the full ``message_quota``."""
        at = self.now() if when is None else _epoch(when)
        user = self._user(openid)
        user.subscribed = True
        user.window = ServiceWindow(at, at + self.message_window, self.message_quota)
        self._bump()

    def note_push(self, openid: str, kind: str, event: str | None, at: float) -> None:
        """Record a user action that the platform pushed to the webhook.

        Quotas do not add up: a new action sets the remaining count to the larger of what is
        left and the action's quota, and the deadline to the later of the two.
        """
        user = self._user(openid)
        if kind == "event":
            if event == "unsubscribe":
                user.subscribed = False
                user.window = None
                self._bump()
                return
            if event == "subscribe":
                user.subscribed = True
            if event not in _WINDOW_EVENTS:
                return
            quota, span = self.event_quota, self.event_window
        else:
            # Only followers can message an account, so a message implies a follower.
            user.subscribed = True
            quota, span = self.message_quota, self.message_window
        current = user.window
        if current is None or not current.open_at(at):
            user.window = ServiceWindow(at, at + span, quota)
        else:
            user.window = ServiceWindow(
                at, max(current.expires_at, at + span), max(current.remaining, quota)
            )
        self._bump()

    def _user(self, openid: str) -> _User:
        user = self._users.get(openid)
        if user is None:
            user = self._users[openid] = _User(openid)
        return user

    # ---------------------------------------------------------------- tokens

    def invalidate_tokens(self) -> None:
        """Every token issued so far now answers 40001 (e.g. the secret was reset)."""
        for token in self._tokens.values():
            token.state = "invalid"

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 42001, as after its two hours."""
        for token in self._tokens.values():
            if token.state == "valid":
                token.state = "expired"

    def _check_token(self, request: web.Request) -> None:
        value = request.query.get("access_token")
        if not value:
            raise _WeChatError(41001)
        token = self._tokens.get(value)
        if token is None or token.state == "invalid":
            raise _WeChatError(40001)
        now = self.now()
        if token.state == "expired" or (
            self.token_lifetime is not None and now >= token.issued_at + self.token_lifetime
        ):
            raise _WeChatError(42001)
        if (
            self.token_overlap is not None
            and token.superseded_at is not None
            and now >= token.superseded_at + self.token_overlap
        ):
            raise _WeChatError(40001)

    # ---------------------------------------------------------------- media and templates

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Temporary media the bank may download for three days (by the shared clock)."""
        self._media[media_id] = _Media(data, content_type, self.now())

    def has_media(self, media_id: str) -> bool:
        return media_id in self._media

    def add_template(self, template_id: str) -> None:
        """Once any template is added, only added ids are accepted (others: 40037)."""
        self._known_templates.add(template_id)

    # ---------------------------------------------------------------- faults

    def fail_next(
        self, path: str, status: int = 502, *, times: int = 1, body: bytes | None = None
    ) -> None:
        """Answer the next ``times`` requests to ``path`` ("*": any path) with HTTP ``status``."""
        self.script(path, *[Fault(status=status, body=body)] * times)

    def fail_next_errcode(
        self, path: str, errcode: int = -1, errmsg: str | None = None, *, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests to ``path`` with an errcode, e.g. -1 "system
        error", which the platform asks callers to retry."""
        self.script(path, *[Fault(errcode=errcode, errmsg=errmsg)] * times)

    def stall_next(self, path: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next ``times`` requests normally, but only after ``seconds``."""
        self.script(path, *[Fault(status=None, delay=seconds)] * times)

    def script(self, path: str, *faults: Fault) -> None:
        self._faults.setdefault(_path_key(path), deque()).extend(faults)

    def clear_faults(self) -> None:
        self._faults.clear()

    def _next_fault(self, path: str) -> Fault | None:
        for key in (path, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        body = await request.read()
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                parsed = None
        response: JSONDict | None = None
        fault = self._next_fault(path)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and (fault.errcode is not None or fault.status is not None):
            if fault.errcode is not None:
                response = _WeChatError(fault.errcode, fault.errmsg).payload()
                answer: web.StreamResponse = _json_response(response)
            else:
                assert fault.status is not None
                page = fault.body
                if page is None:
                    try:
                        phrase = HTTPStatus(fault.status).phrase
                    except ValueError:
                        phrase = "Error"
                    page = f"<html><body><h1>{fault.status} {phrase}</h1></body></html>".encode()
                answer = web.Response(status=fault.status, body=page, content_type="text/html")
        else:
            handler = self._routes.get((request.method, path))
            if handler is None:
                answer = web.Response(status=404, text="404 Not Found")
            else:
                try:
                    result = await handler(request, body)
                except _WeChatError as err:
                    result = err.payload()
                if isinstance(result, web.Response):
                    answer = result
                else:
                    response = result
                    answer = _json_response(result)
        self._calls.append(
            ApiCall(
                method=request.method,
                path=path,
                query=dict(request.query),
                body=body,
                json=parsed,
                status=answer.status,
                response=response,
                at=self.now(),
            )
        )
        self._bump()
        return answer

    async def _picture(self, request: web.Request) -> web.StreamResponse:
        media = self._media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404)
        return web.Response(body=media.data, content_type=media.content_type)

    @staticmethod
    def _json_body(body: bytes) -> JSONDict:
        if not body.strip():
            raise _WeChatError(44002)
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise _WeChatError(47001) from None
        if not isinstance(parsed, dict):
            raise _WeChatError(47001)
        return parsed

    async def _token(self, request: web.Request, body: bytes) -> JSONDict:
        query = request.query
        if query.get("grant_type") != "client_credential":
            raise _WeChatError(40002)
        if not query.get("appid"):
            raise _WeChatError(41002)
        if query["appid"] != self.app_id:
            raise _WeChatError(40013)
        if not query.get("secret"):
            raise _WeChatError(41004)
        if query["secret"] != self.app_secret:
            raise _WeChatError(40125)
        now = self.now()
        for older in self._tokens.values():
            if older.superseded_at is None:
                older.superseded_at = now
        value = f"{next(self._token_numbers)}_{secrets.token_urlsafe(105)}"
        self._tokens[value] = _Token(value, now)
        self.token_fetches += 1
        lifetime = ACCESS_TOKEN_LIFETIME if self.token_lifetime is None else self.token_lifetime
        return {"access_token": value, "expires_in": int(lifetime)}

    async def _custom_send(self, request: web.Request, body: bytes) -> JSONDict:
        self._check_token(request)
        payload = self._json_body(body)
        openid = payload.get("touser")
        if not isinstance(openid, str) or not openid:
            raise _WeChatError(40003)
        msgtype = payload.get("msgtype")
        if not isinstance(msgtype, str) or msgtype not in payload:
            raise _WeChatError(40008)
        if msgtype == "text":
            content = payload["text"].get("content") if isinstance(payload["text"], dict) else None
            if not isinstance(content, str) or not content:
                raise _WeChatError(44004)
            if len(content.encode()) > MAX_CUSTOM_TEXT_BYTES:
                raise _WeChatError(45002)
        elif msgtype in ("image", "voice"):
            media_id = (
                payload[msgtype].get("media_id") if isinstance(payload[msgtype], dict) else None
            )
            if not media_id:
                raise _WeChatError(41006)
            if not self._media_alive(media_id):
                raise _WeChatError(40007)
        user = self._users.get(openid)
        if user is None:
            raise _WeChatError(40003)
        if not user.subscribed:
            raise _WeChatError(43004)
        now = self.now()
        window = user.window
        if window is None or not window.open_at(now):
            raise _WeChatError(45015)
        if window.remaining <= 0:
            raise _WeChatError(45047)
        user.window = replace(window, remaining=window.remaining - 1)
        self._custom.append(CustomMessage(openid, msgtype, payload, now))
        return {"errcode": 0, "errmsg": "ok"}

    async def _template_send(self, request: web.Request, body: bytes) -> JSONDict:
        self._check_token(request)
        payload = self._json_body(body)
        openid = payload.get("touser")
        if not isinstance(openid, str) or openid not in self._users:
            raise _WeChatError(40003)
        template_id = payload.get("template_id")
        if not isinstance(template_id, str) or not template_id:
            raise _WeChatError(40037)
        if self._known_templates and template_id not in self._known_templates:
            raise _WeChatError(40037)
        data = payload.get("data")
        if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()
        ):
            raise _WeChatError(47001)
        if not self._users[openid].subscribed:
            raise _WeChatError(43004)
        msgid = next(self._template_msgids)
        url = payload.get("url")
        self._templates.append(
            TemplateMessage(
                openid,
                template_id,
                data,
                url if isinstance(url, str) else None,
                payload,
                msgid,
                self.now(),
            )
        )
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    async def _menu_create(self, request: web.Request, body: bytes) -> JSONDict:
        self._check_token(request)
        payload = self._json_body(body)
        buttons = payload.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_TOP_BUTTONS:
            raise _WeChatError(40016)
        for button in buttons:
            if not isinstance(button, dict):
                raise _WeChatError(47001)
            subs = button.get("sub_button")
            _check_button(button, top=True, has_subs=bool(subs))
            if subs:
                if not isinstance(subs, list) or len(subs) > MAX_SUB_BUTTONS:
                    raise _WeChatError(40023)
                for sub in subs:
                    if not isinstance(sub, dict) or sub.get("sub_button"):
                        raise _WeChatError(47001)
                    _check_button(sub, top=False, has_subs=False)
        self.menu = buttons
        self.menu_history.append(buttons)
        return {"errcode": 0, "errmsg": "ok"}

    async def _menu_get(self, request: web.Request, body: bytes) -> JSONDict:
        self._check_token(request)
        if self.menu is None:
            raise _WeChatError(46003)
        return {"menu": {"button": self.menu}}

    async def _menu_delete(self, request: web.Request, body: bytes) -> JSONDict:
        self._check_token(request)
        self.menu = None
        return {"errcode": 0, "errmsg": "ok"}

    async def _media_get(self, request: web.Request, body: bytes) -> JSONDict | web.Response:
        self._check_token(request)
        media_id = request.query.get("media_id")
        if not media_id:
            raise _WeChatError(41006)
        if not self._media_alive(media_id):
            raise _WeChatError(40007)
        media = self._media[media_id]
        extension = {"image/jpeg": "jpg", "audio/amr": "amr"}.get(media.content_type, "bin")
        return web.Response(
            body=media.data,
            content_type=media.content_type,
            headers={"Content-Disposition": f'attachment; filename="{media_id}.{extension}"'},
        )

    def _media_alive(self, media_id: str) -> bool:
        media = self._media.get(media_id)
        return media is not None and self.now() < media.added_at + MEDIA_LIFETIME


def _path_key(path: str) -> str:
    if path == "*":
        return path
    path = "/" + path.lstrip("/")
    return path if path.startswith("/cgi-bin/") else "/cgi-bin" + path


def _json_response(payload: JSONDict) -> web.Response:
    # The platform labels its JSON with a non-standard "encoding" parameter; clients must cope.
    return web.Response(
        body=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; encoding=utf-8"},
    )


def _check_button(button: JSONDict, *, top: bool, has_subs: bool) -> None:
    """Menu rules: names up to 16 bytes (top) or 60 (sub-menu), keys up to 128, URLs 1024."""
    name = button.get("name")
    name_limit = MAX_TOP_NAME_BYTES if top else MAX_SUB_NAME_BYTES
    if not isinstance(name, str) or not name or len(name.encode()) > name_limit:
        raise _WeChatError(40018 if top else 40025)
    if has_subs:
        return  # a top-level button that opens a sub-menu needs no type of its own
    kind = button.get("type")
    if kind not in _BUTTON_TYPES:
        raise _WeChatError(40017 if top else 40024)
    if kind in _KEYED_BUTTONS:
        key = button.get("key")
        if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_BYTES:
            raise _WeChatError(40019 if top else 40026)
    if kind in ("view", "miniprogram"):
        url = button.get("url")
        if not isinstance(url, str) or not url or len(url.encode()) > MAX_URL_BYTES:
            raise _WeChatError(40020 if top else 40027)
        if not url.startswith(("http://", "https://")):
            raise _WeChatError(40055 if top else 40054)
    if kind == "miniprogram" and not (button.get("appid") and button.get("pagepath")):
        raise _WeChatError(47001)
    if kind in ("media_id", "view_limited") and not button.get("media_id"):
        raise _WeChatError(47001)
    if kind in ("article_id", "article_view_limited") and not button.get("article_id"):
        raise _WeChatError(47001)
