"""Chinese working days: weekends and statutory holidays off, make-up working days on.

The calendar knows only the years it was given data for. Asking about any other year
raises `UnknownCalendarYear` rather than guessing: the official calendar is published
year by year, and a silently wrong deadline is worse than a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import UnknownCalendarYear

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class YearDays:
    """One year's exceptions to the Monday-to-Friday week."""

    holidays: frozenset[date]  # days off, weekdays or not
    makeup_workdays: frozenset[date]  # 调休: weekend days that are working days

    def __post_init__(self) -> None:
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(f"days both holiday and working day: {sorted(both)}")


class WorkingCalendar:
    """Answers 'is this a working day' and counts working days, in the bank's time zone."""

    def __init__(self, years: Mapping[int, YearDays], tz: ZoneInfo = SHANGHAI) -> None:
        self._years = dict(years)
        self.tz = tz

    @property
    def known_years(self) -> frozenset[int]:
        return frozenset(self._years)

    def is_working_day(self, day: date) -> bool:
        year = self._years.get(day.year)
        if year is None:
            raise UnknownCalendarYear(day.year)
        if day in year.makeup_workdays:
            return True
        if day in year.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day on the `days`-th working day after `start`'s date.

        A case received on 2026-09-30 at 17:00 with 3 working days falls due on
        2026-10-10 at 17:00 (1-7 October are National Day, 10 October is a make-up day).
        A case received on a day off is counted from that day too: the first working day
        after it is day one, which gives the customer the full number of working days.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if days < 0:
            raise ValueError("days must not be negative")
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return datetime.combine(day, local.timetz())

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
