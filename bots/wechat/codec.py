"""Opening and sealing WeChat webhook traffic: signatures, replay window, XML, AES.

Every check happens before any state changes: a forged, stale or hostile request is
refused here and never reaches the dialogue.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

MAX_BODY = 64 * 1024  # a WeChat message is a few KiB at most


class Forbidden(Exception):
    """Not from WeChat, or a replay: answer 403 and do nothing."""


class BadRequest(Exception):
    """Malformed or hostile content: answer 400 and do nothing."""


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 over the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 (protocol)


def same(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def parse_xml(data: bytes | str) -> dict[str, str | None]:
    """A flat <xml> document as a dict; DTDs, entities and anything malformed refused.

    An element that occurs more than once or holds elements of its own has no single
    text: it maps to None (a few events nest information the service does not read).
    """
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, ValueError) as exc:
        raise BadRequest(f"unacceptable XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise BadRequest("not a WeChat message")
    fields: dict[str, str | None] = {}
    for child in root:
        nested = len(child) > 0 or child.tag in fields
        fields[child.tag] = None if nested else (child.text or "")
    return fields


@dataclass(frozen=True, slots=True)
class Opened:
    fields: dict[str, str | None]  # see `parse_xml`; checked by `gate.check_message`
    encrypted: bool  # answer in kind


class WeChatCodec:
    def __init__(
        self, *, token: str, app_id: str, aes_key: str | None, replay_window_s: int = 300
    ) -> None:
        self._token = token
        self._app_id = app_id
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._key = base64.b64decode(aes_key + "=") if aes_key else b""
        self._window = replay_window_s

    def check_url(self, query: Mapping[str, str], now: float) -> str:
        """The GET handshake: returns the echostr to send back."""
        self._check_signature(query, now)
        echo = query.get("echostr")
        if echo is None:
            raise BadRequest("no echostr")
        return echo

    def open(self, query: Mapping[str, str], body: bytes, now: float) -> Opened:
        self._check_signature(query, now)
        if len(body) > MAX_BODY:
            raise BadRequest("body too large")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("not UTF-8") from exc
        outer = parse_xml(text)
        if query.get("encrypt_type", "raw") != "aes":
            return Opened(outer, encrypted=False)
        if self._crypto is None:
            raise BadRequest("encrypted message, but no WECHAT_AES_KEY is configured")
        encrypt = outer.get("Encrypt")
        if not encrypt:
            raise BadRequest("no Encrypt element")
        if not same(
            sign(self._token, query["timestamp"], query["nonce"], encrypt),
            query.get("msg_signature"),
        ):
            raise Forbidden("bad msg_signature")
        try:
            plain = PrpCrypto(self._key).decrypt(encrypt, self._app_id)
        except InvalidAppIdException as exc:
            raise Forbidden("message for another app") from exc
        except Exception as exc:  # bad padding, bad base64, bad length: not WeChat's
            raise BadRequest("cannot decrypt") from exc
        return Opened(parse_xml(plain), encrypted=True)

    def seal(self, reply_xml: str, opened: Opened, timestamp: int) -> str:
        """The HTTP body for a passive reply: encrypted when the request was."""
        if not opened.encrypted or self._crypto is None:
            return reply_xml
        return self._crypto.encrypt_message(reply_xml, secrets.token_hex(8), str(timestamp))

    def _check_signature(self, query: Mapping[str, str], now: float) -> None:
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        if not timestamp.isdecimal() or not nonce:
            raise Forbidden("missing timestamp or nonce")
        if abs(now - int(timestamp)) > self._window:
            raise Forbidden("stale timestamp (possible replay)")
        if not same(sign(self._token, timestamp, nonce), query.get("signature")):
            raise Forbidden("bad signature")
