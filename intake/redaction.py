"""Takes secrets out of text before it is logged or printed.

Two nets, because either alone misses something: the configured secrets (bot token,
webhook secret, WeChat token, AppSecret and EncodingAESKey, database and Redis passwords)
are replaced wherever they appear, whatever the library or exception that carries them;
and anything shaped like a credential is replaced even when its value was never
configured — the WeChat access_token fetched at run time, a token in a URL from another
deployment — namely Bot API tokens (`bot123:AA…`), credential query parameters
(`access_token=`, `secret=`, `appsecret=`, …), the token of a link to report files
and the password of a `scheme://user:password@host` URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
# Shorter configured values are not replaced wherever they occur: they would blank out
# ordinary words and numbers all over the logs (and are no secret worth the name).
MIN_SECRET_LENGTH = 6

_CREDENTIAL_KEYS = r"access_token|secret_token|secret|appsecret|app_secret|password|passwd"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A Bot API token, in a URL path (`/bot123:AA…/sendMessage`) or on its own.
    (re.compile(r"\b(bot)?(\d{5,}):[A-Za-z0-9_-]{20,}"), rf"\1\2:{MASK}"),
    (re.compile(r"(/bot\d+):[^/\s\"']+"), rf"\1:{MASK}"),
    # `access_token=…` and its kin in query strings and forms.
    (re.compile(rf"\b({_CREDENTIAL_KEYS})=[^&\s\"'<>]+", re.IGNORECASE), rf"\1={MASK}"),
    # The same keys in printed dicts and JSON: `'secret_token': '…'`, `"access_token":"…"`.
    (
        re.compile(rf"([\"']({_CREDENTIAL_KEYS})[\"']\s*:\s*[\"'])[^\"']+", re.IGNORECASE),
        rf"\1{MASK}",
    ),
    # The token of a link to a report's files (`/reports/TOKEN/report-2026Q4.html`).
    (re.compile(r"(/reports/)[A-Za-z0-9_-]{20,64}"), rf"\1{MASK}"),
    # The password of a URL: `postgresql+asyncpg://user:password@host/db`.
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s\"']*:)[^@\s/\"']+@"), rf"\1{MASK}@"),
)


class Redactor:
    """Replaces the secrets it was given, and anything shaped like one, with `***`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also replace these values (and their URL-encoded forms, as in a DSN)."""
        known = set(self._secrets)
        for secret in secrets:
            if len(secret) >= MIN_SECRET_LENGTH:
                known |= {secret, quote(secret, safe="")}
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text
