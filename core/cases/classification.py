"""The three JR/T 0169-2018 axes a case is classified on: channel, business type, cause;
and, apart from them, the intake channel the feedback came in by.

The values are stable identifiers stored in the database; the words customers and staff
see live in the message catalogs.
"""

from __future__ import annotations

from enum import StrEnum

from core.identity import Platform


class IntakeChannel(StrEnum):
    """Where the feedback came in: the bank's chatbots today, its web site, app and
    kiosks later. Not a JR/T axis: a complaint about a counter sent on WeChat came in on
    WeChat and is about the counter (`Channel.COUNTER`)."""

    WECHAT = "wechat"
    TELEGRAM = "telegram"
    WEB = "web"
    APP = "app"
    KIOSK = "kiosk"

    @classmethod
    def of(cls, platform: Platform) -> IntakeChannel:
        """The intake channel of a customer writing from a chat platform."""
        return cls(platform.value)


class Channel(StrEnum):
    """Where the complained-about business happened (JR/T 0169 axis A, channel)."""

    COUNTER = "counter"
    SELF_SERVICE = "self_service"
    ONLINE_BANKING = "online_banking"
    PHONE = "phone"
    MOBILE_APP = "mobile_app"
    PUBLIC_PLATFORM = "public_platform"  # the bank's accounts on WeChat, Telegram and the like
    SMS = "sms"
    THIRD_PARTY = "third_party"
    BACK_OFFICE = "back_office"
    OTHER = "other"


class BusinessType(StrEnum):
    """What the feedback is about (JR/T 0169 business axis)."""

    DEPOSITS = "deposits"
    LOANS = "loans"
    CREDIT_CARD = "credit_card"
    DEBIT_CARD = "debit_card"
    PAYMENT_SETTLEMENT = "payment_settlement"
    CASH = "cash"
    PERSONAL_INFO = "personal_info"
    WEALTH_MANAGEMENT = "wealth_management"
    AGENCY_SALES = "agency_sales"
    FOREIGN_EXCHANGE = "foreign_exchange"
    OTHER = "other"


class Cause(StrEnum):
    """Why the customer complains (JR/T 0169 cause axis); staff set it while handling."""

    SERVICE = "service"
    FACILITIES = "facilities"
    RULES_PROCESSES = "rules_processes"
    MARKETING = "marketing"
    DISCLOSURE = "disclosure"
    FEES_RETURNS = "fees_returns"
    FREE_CHOICE = "free_choice"
    CONTRACT_TERMS = "contract_terms"
    FUND_SAFETY = "fund_safety"
    INFORMATION_SECURITY = "information_security"
    DEBT_COLLECTION = "debt_collection"
    OTHER = "other"
