"""The web channel's bearer tokens: signed with HMAC-SHA256 and expiring, carrying only
the conversation id, the origin (web, app or kiosk) and the expiry.

A session token authorises requests; a resume token, longer-lived and given with a filed
case, only opens a new session on the same conversation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from core.cases.classification import IntakeChannel

ORIGINS = (IntakeChannel.WEB, IntakeChannel.APP, IntakeChannel.KIOSK)


class Kind(StrEnum):
    SESSION = "s"
    RESUME = "r"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    conversation: str
    origin: IntakeChannel
    expires: datetime


class TokenRefused(Exception):
    """Why a token is not accepted, in words a client developer can act on."""


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, token: Token) -> str:
        payload = ".".join(
            (
                token.kind.value,
                token.conversation,
                token.origin.value,
                str(int(token.expires.timestamp())),
            )
        )
        return f"{payload}.{self._signature(payload)}"

    def verify(self, text: str, kind: Kind, now: datetime) -> Token:
        payload, _, signature = text.rpartition(".")
        if (
            not text.isascii()  # compare_digest compares ASCII strings only
            or not payload
            or not hmac.compare_digest(signature, self._signature(payload))
        ):
            raise TokenRefused("the token is not valid (malformed or not signed by this service)")
        kind_value, conversation, origin, expires = payload.split(".")
        token = Token(
            Kind(kind_value),
            conversation,
            IntakeChannel(origin),
            datetime.fromtimestamp(int(expires), UTC),
        )
        if token.kind is not kind:
            wanted = "a session token" if kind is Kind.SESSION else "a resume token"
            raise TokenRefused(f"the token is not {wanted}")
        if token.expires <= now:
            raise TokenRefused("the token has expired: start or resume a session")
        return token

    def _signature(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
