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
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def redact(text: str, contact: Contact | None = None) -> str:
    """Mask what looks like a mainland mobile number or an e-mail address, and the
    customer's own name and phone wherever they appear (customers type them into
    descriptions too)."""
    if contact is not None:
        if contact.phone:
            text = text.replace(contact.phone, mask_phone(contact.phone))
        if contact.name and len(contact.name) > 1:
            text = text.replace(contact.name, mask_name(contact.name))
    text = _PHONE.sub(r"\1****\2", text)
    return _EMAIL.sub(r"\1***@\2", text)
