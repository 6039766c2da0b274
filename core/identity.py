"""Who a case belongs to: a customer identity per chat platform, and optional contact data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Platform(StrEnum):
    """The chat platform a customer or staff member writes from. The web (the bank's
    site, app and kiosks) has customers only: its ids are random conversation ids."""

    TELEGRAM = "telegram"
    WECHAT = "wechat"
    WEB = "web"


@dataclass(frozen=True, slots=True)
class CustomerId:
    """A customer as one platform knows them; ids of different platforms never collide."""

    platform: Platform
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Contact:
    """Name and phone the customer chose to give, and when they consented to their use."""

    name: str | None = None
    phone: str | None = None
    consent_at: datetime | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.name is None and self.phone is None


def mask_name(name: str | None) -> str:
    """Keep the first character only: 张三丰 -> 张**, Alice -> A****."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """Keep the first three and last four digits: 13812348000 -> 138****8000."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# A resident ID card number: 6 digits of region, the birth date, 3 digits and a check
# character (a digit or X).
_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])(\d{3})\d{3}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"\d{2}(\d[\dXx])(?![0-9A-Za-z])"
)
# A bank card number: 16 to 19 digits, perhaps written in groups with single spaces.
_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{4})(?: ?\d){8,11} ?(\d{4})(?![0-9A-Za-z])")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def redact(text: str, contact: Contact | None = None) -> str:
    """Mask what looks like an ID card number, a bank card number, a mainland mobile
    number or an e-mail address, and the customer's own name and phone wherever they
    appear (customers type them into descriptions too)."""
    if contact is not None:
        if contact.phone:
            text = text.replace(contact.phone, mask_phone(contact.phone))
        if contact.name and len(contact.name) > 1:
            text = text.replace(contact.name, mask_name(contact.name))
    # The longer numbers first: a card or ID number holds digits shaped like a phone's.
    text = _ID_CARD.sub(r"\1***********\2", text)
    text = _CARD.sub(r"\1 **** \2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _EMAIL.sub(r"\1***@\2", text)
