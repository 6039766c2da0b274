"""Gift vouchers customers buy with their reward points: the catalog's rules and the codes.

A voucher is a catalog entry (a name, a price in points, a stock and how long an issued
voucher stays valid); a redemption is one voucher issued to one customer, with a code
they show at the counter or type into the bank's app.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.codes import readable_code
from core.errors import DomainError
from core.identity import CustomerId

# 12 symbols of 31 carry 12 * log2(31) ≈ 59.4 bits: guessing a live code is hopeless.
CODE_LENGTH = 12
CODE_GROUP = 4

NAME_MAX = 64
# Upper bounds keep admins' typos (an extra zero or three) out of the catalog and every
# figure well inside a database integer.
AMOUNT_MAX = 1_000_000
VALID_DAYS_MAX = 3660


@dataclass(frozen=True, slots=True)
class Voucher:
    id: int
    name: str
    cost: int  # points; fixed once the voucher is in the catalog
    stock: int
    valid_days: int  # an issued voucher expires this many days after it was issued
    active: bool = True  # False: withdrawn from the catalog

    @property
    def available(self) -> bool:
        return self.active and self.stock > 0

    def expires_at(self, issued_at: datetime) -> datetime:
        return issued_at + timedelta(days=self.valid_days)


@dataclass(frozen=True, slots=True)
class Redemption:
    code: str
    voucher_id: int
    voucher_name: str
    customer: CustomerId
    points: int  # what the customer paid
    issued_at: datetime
    expires_at: datetime


class RedeemRefusal(StrEnum):
    """Why no voucher was issued; nothing was changed then."""

    UNKNOWN = "unknown"  # no such voucher
    OUT_OF_STOCK = "out_of_stock"  # none left, or withdrawn from the catalog
    NOT_ENOUGH_POINTS = "not_enough_points"


def new_voucher_code(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh code such as `K7QM-4XPR-9HTA`."""
    return readable_code(CODE_LENGTH, CODE_GROUP, random_bytes)


def check_catalog_entry(name: str, cost: int, stock: int, valid_days: int) -> None:
    """Refuse a catalog entry no customer could sensibly be offered."""
    if not name.strip():
        raise DomainError("a voucher needs a name")
    if len(name) > NAME_MAX:
        raise DomainError(f"a voucher's name has at most {NAME_MAX} characters")
    if not 0 < cost <= AMOUNT_MAX:
        raise DomainError(f"the cost is 1 to {AMOUNT_MAX:,} points")
    if not 0 <= stock <= AMOUNT_MAX:
        raise DomainError(f"the stock is 0 to {AMOUNT_MAX:,} vouchers")
    if not 0 < valid_days <= VALID_DAYS_MAX:
        raise DomainError(f"a voucher stays valid 1 to {VALID_DAYS_MAX} days")


def same_name(a: str, b: str) -> bool:
    """Two catalog names customers could not tell apart: case and spacing aside."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def check_restock(voucher: Voucher, quantity: int) -> None:
    """Refuse adding nothing, or more than the catalog holds."""
    if quantity < 1:
        raise DomainError("restock at least 1 voucher")
    if voucher.stock + quantity > AMOUNT_MAX:
        raise DomainError(
            f"{voucher.name} would have more than {AMOUNT_MAX:,} in stock (it has {voucher.stock})"
        )
