"""Message catalogs: every customer- and staff-facing text, per language, by key.

Texts never appear as literals in the dialogue or the adapters; they look them up here
with `t(language, key, **params)`. A test checks that both catalogs have the same keys
and the same placeholders.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.messages import en, zh

CATALOGS: dict[str, dict[str, str]] = {"zh": zh.MESSAGES, "en": en.MESSAGES}
DEFAULT_LANGUAGE = "zh"
LANGUAGES = tuple(CATALOGS)


def t(language: str, key: str, **params: object) -> str:
    catalog = CATALOGS.get(language, CATALOGS[DEFAULT_LANGUAGE])
    return catalog[key].format(**params) if params else catalog[key]


def moment(language: str, at: datetime, tz: ZoneInfo) -> str:
    """A date and time in the bank's time zone, written the one way the language writes
    them (every message uses this: deadlines, history, vouchers, digests)."""
    return t(language, "format.moment", at=at.astimezone(tz))


def day(language: str, on: date) -> str:
    """A calendar day, written the one way the language writes it."""
    return t(language, "format.day", on=on)


def has_text(language: str, key: str) -> bool:
    """Whether the catalog has `key`: for words looked up from stored values (an action
    recorded by an older version may have none)."""
    return key in CATALOGS.get(language, CATALOGS[DEFAULT_LANGUAGE])


def language_from_code(code: str | None) -> str:
    """Map a platform's language code (zh-hans, en-US, ...) to a catalog we have."""
    if code:
        base = code.lower().split("-")[0].split("_")[0]
        if base in CATALOGS:
            return base
    return DEFAULT_LANGUAGE
