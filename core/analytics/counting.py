"""What the database counts for the figures, and the port that counts it.

Storage only counts (`storage/analytics.py`, in SQL); what the counts mean — rates,
percentiles, targets — is decided in `core.analytics.definitions` and `.report`. Every
count leaves out cases merged into an earlier one: those are counted once, as it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from core.analytics.periods import Window

# Local days travel as whole numbers: days since 1970-01-01 in bank time.
DAY_ZERO = date(1970, 1, 1)


def day_of(number: int) -> date:
    return DAY_ZERO + timedelta(days=number)


class Dimension(StrEnum):
    """What the figures are broken down by (each a column of the case)."""

    TYPE = "type"  # complaint, suggestion, praise
    INTAKE_CHANNEL = "intake_channel"  # where the feedback came in
    CHANNEL = "channel"  # JR/T 0169 axis A: where the business happened
    BUSINESS_TYPE = "business_type"  # JR/T 0169 axis B
    CAUSE = "cause"  # JR/T 0169 axis C (None: not classified yet)
    BRANCH = "branch"
    DEPARTMENT = "department"


@dataclass(frozen=True, slots=True)
class CountRequest:
    """The periods to count at once (the first is the one reported), their months, the
    report's moment, and bank time's offset from UTC for telling local days apart."""

    periods: tuple[Window, ...]
    months: tuple[tuple[Window, ...], ...]  # per period, its months cut to it
    now: datetime
    day_offset: timedelta
    dimensions: tuple[Dimension, ...] = tuple(Dimension)
    department: str | None = None  # only this department's cases; None: every case


@dataclass(frozen=True, slots=True)
class CaseCounts:
    """One group of cases in one period, as counted by the database."""

    received: int = 0
    received_per_month: tuple[int, ...] = ()
    answered: int = 0  # answer given in the period
    answered_on_time: int = 0  # of them, by the promised deadline (before extensions)
    late_open: int = 0  # promised deadline passed in the period, still unanswered now
    answered_reopened: int = 0  # answered in the period after having been reopened
    answered_rated: int = 0  # answered in the period, survey answered since
    ratings: tuple[int, ...] = (0, 0, 0, 0, 0)  # surveys answered in the period, by 1..5
    decided: int = 0  # suggestions adopted or declined in the period
    adopted: int = 0
    implemented: int = 0  # adopted suggestions put into practice in the period
    announced: int = 0  # customers told "you said, we did" in the period
    postponed: int = 0  # cases whose bank deadline was extended in the period
    legal_extended: int = 0  # cases whose legal ceiling was extended in the period
    legal_breaches: int = 0  # answered past the legal ceiling, or still open past it
    # (received day, answered day) -> answers: the histogram time-to-answer is read from.
    answer_days: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """A group's counts per requested period, and its cases overdue at the moment."""

    periods: tuple[CaseCounts, ...]
    overdue_now: int = 0


@dataclass(frozen=True, slots=True)
class Repeats:
    """Customers with two or more complaints received in a period, and those complaints."""

    customers: int = 0
    complaints: int = 0


@dataclass(frozen=True, slots=True)
class Counted:
    overall: GroupCounts
    groups: dict[Dimension, dict[str | None, GroupCounts]]
    repeats: tuple[Repeats, ...]  # per period


class FigureSource(Protocol):
    async def count(self, request: CountRequest) -> Counted:
        """Count everything the request asks for, overall and per dimension."""
        ...
