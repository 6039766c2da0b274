"""Human-readable case numbers: CP-20261129-0007 (type prefix, local receipt date, serial)."""

from __future__ import annotations

import re
from datetime import date

from core.cases.values import CaseType

CASE_NUMBER = re.compile(r"^(CP|SG|PR)-(\d{8})-(\d{4,})$")


def format_case_number(case_type: CaseType, day: date, serial: int) -> str:
    return f"{case_type.prefix}-{day:%Y%m%d}-{serial:04d}"


def normalize_case_number(text: str) -> str | None:
    """Accept what a customer types (lower case, spaces, full-width dash); None if no number."""
    candidate = re.sub(r"\s+", "", text).upper().replace("－", "-").replace("—", "-")
    return candidate if CASE_NUMBER.match(candidate) else None


def case_type_of(number: str) -> CaseType | None:
    """The type a well-formed case number shows in its prefix."""
    match = CASE_NUMBER.match(number)
    if match is None:
        return None
    return next(c for c in CaseType if c.prefix == match.group(1))
