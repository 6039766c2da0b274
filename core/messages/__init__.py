"""Message catalogs: every customer- and staff-facing text, per language, by key.

Texts never appear as literals in the dialogue or the adapters; they look them up here
with `t(language, key, **params)`. The texts are gettext catalogs, one `.po` file per
language under `locale/` (see `catalogs`); they are read once, when this package is
imported — the only file reading in `core/`. Dates are written by Babel with each
language's own pattern (the catalog's `format.moment` and `format.day`). Tests check
that every language has every key of the default one with the same placeholders.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from core.messages import catalogs

DEFAULT_LANGUAGE = "zh"
_LOADED = {c.code: c for c in catalogs.load()}
CATALOGS: dict[str, dict[str, str]] = {code: c.texts for code, c in _LOADED.items()}
# The default language first: it is the one a platform without a language code gets.
LANGUAGES = (DEFAULT_LANGUAGE, *sorted(code for code in CATALOGS if code != DEFAULT_LANGUAGE))


def _catalog(language: str) -> catalogs.Catalog:
    return _LOADED.get(language, _LOADED[DEFAULT_LANGUAGE])


def t(language: str, key: str, **params: object) -> str:
    text = _catalog(language).texts[key]
    return text.format(**params) if params else text


def moment(language: str, at: datetime, tz: ZoneInfo) -> str:
    """A date and time in the bank's time zone, written the one way the language writes
    them (every message uses this: deadlines, history, vouchers, digests)."""
    catalog = _catalog(language)
    return format_datetime(at.astimezone(tz), catalog.texts["format.moment"], locale=catalog.locale)


def day(language: str, on: date) -> str:
    """A calendar day, written the one way the language writes it."""
    catalog = _catalog(language)
    return format_date(on, catalog.texts["format.day"], locale=catalog.locale)


def has_text(language: str, key: str) -> bool:
    """Whether the catalog has `key`: for words looked up from stored values (an action
    recorded by an older version may have none)."""
    return key in _catalog(language).texts


def language_from_code(code: str | None) -> str:
    """Map a platform's language code (zh-hans, zh-hant, en-US, ...) to a catalog we have:
    the whole code if a catalog has it, else its bare language."""
    if code:
        whole = code.lower().replace("_", "-")
        if whole in CATALOGS:
            return whole
        base = whole.split("-")[0]
        if base in CATALOGS:
            return base
    return DEFAULT_LANGUAGE
