"""Checks and normalisation of what customers type: phone numbers, names."""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 50
_SEPARATORS = re.compile(r"[\s\-()（）]")
# ASCII only: full-width digits (typed on Chinese keyboards) are folded to ASCII first.
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$", re.ASCII)


def normalize_phone(text: str, *, from_platform: bool = False) -> str | None:
    """A mainland mobile as 11 digits, another country's as +E.164; None if neither.

    Typed foreign numbers need their '+'; a contact shared through the platform is
    always international but comes without it.
    """
    raw = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).strip())
    for prefix in ("+86", "0086"):
        if raw.startswith(prefix):
            raw = raw[len(prefix) :]
    if raw.startswith("86") and len(raw) == 13:  # Telegram sends contacts without '+'
        raw = raw[2:]
    if _CN_MOBILE.match(raw):
        return raw
    if from_platform and raw.isdecimal():
        raw = "+" + raw
    return raw if _INTERNATIONAL.match(raw) else None


def normalize_name(text: str) -> str | None:
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX or any(ch.isdigit() for ch in name):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name
