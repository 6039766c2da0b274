"""Reporting periods in bank time: a month, a quarter, a year or any range of days.

A period is a run of whole local days; it starts at local midnight of its first day and
ends at local midnight after its last, so a case received at 2026-09-30 23:30 +08:00
(15:30 UTC) belongs to September and to the third quarter. Every period knows the one to
compare it with before it and the same one a year earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


_QUARTER = re.compile(r"(\d{4})\s*[Qq]([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open span of time, [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first: date
    last: date  # inclusive

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"a period ends on or after its first day: {self.first}..{self.last}")

    # -- the ways to name one -----------------------------------------------------------

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(PeriodKind.MONTH, first, _next_month(first) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError(f"a quarter is 1 to 4, not {quarter}")
        first = date(year, 3 * quarter - 2, 1)
        last = _next_month(_next_month(_next_month(first))) - timedelta(days=1)
        return cls(PeriodKind.QUARTER, first, last)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def between(cls, first: date, last: date) -> Period:
        """Any run of days, both ends included."""
        return cls(PeriodKind.RANGE, first, last)

    @classmethod
    def parse_quarter(cls, text: str) -> Period:
        """'2026Q4' (also '2026q4', '2026 Q4')."""
        match = _QUARTER.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not a quarter: {text!r}; write it as 2026Q4")
        return cls.quarter(int(match[1]), int(match[2]))

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """'2026-11'."""
        match = _MONTH.fullmatch(text.strip())
        if match is None or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"not a month: {text!r}; write it as 2026-11")
        return cls.month(int(match[1]), int(match[2]))

    # -- what it covers ----------------------------------------------------------------

    @property
    def label(self) -> str:
        """2026-11, 2026Q4, 2026, or 2026-10-05..2026-11-20."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.first.year}Q{(self.first.month + 2) // 3}"
        if self.kind is PeriodKind.YEAR:
            return str(self.first.year)
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def window(self, tz: ZoneInfo) -> Window:
        """From local midnight of the first day to local midnight after the last."""
        return Window(_midnight(self.first, tz), _midnight(self.last + timedelta(days=1), tz))

    def months(self) -> list[Period]:
        """The calendar months it touches, each cut to the period's days."""
        months, first = [], self.first
        while first <= self.last:
            end = min(_next_month(first.replace(day=1)) - timedelta(days=1), self.last)
            months.append(Period(PeriodKind.MONTH, first, end))
            first = end + timedelta(days=1)
        return months

    def month_share(self) -> float:
        """How many calendar months it covers: a month cut short counts as the share of
        its days covered (a quarter: 3.0; 1-15 November: 0.5)."""
        return sum(m.days / _days_in_month(m.first) for m in self.months())

    # -- what it is compared with --------------------------------------------------------

    def previous(self) -> Period:
        """The month, quarter or year before; a range: as many days right before it."""
        if self.kind is PeriodKind.MONTH:
            before = self.first - timedelta(days=1)
            return Period.month(before.year, before.month)
        if self.kind is PeriodKind.QUARTER:
            before = self.first - timedelta(days=1)
            return Period.quarter(before.year, (before.month + 2) // 3)
        if self.kind is PeriodKind.YEAR:
            return Period.year(self.first.year - 1)
        last = self.first - timedelta(days=1)
        return Period.between(last - timedelta(days=self.days - 1), last)

    def year_earlier(self) -> Period:
        """The same period one year before (29 February counts as the 28th)."""
        year = self.first.year - 1
        if self.kind is PeriodKind.MONTH:
            return Period.month(year, self.first.month)
        if self.kind is PeriodKind.QUARTER:
            return Period.quarter(year, (self.first.month + 2) // 3)
        if self.kind is PeriodKind.YEAR:
            return Period.year(year)
        return Period.between(_year_before(self.first), _year_before(self.last))


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _days_in_month(day: date) -> int:
    return (_next_month(day.replace(day=1)) - day.replace(day=1)).days


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz)
