"""Chinese working days: weekends and statutory holidays off, make-up working days on.

The official calendar is published year by year, so the calendar knows only the years it
was given data for. For any other year it counts **provisionally** — weekdays on,
weekends off — and says so: `deadline()` names the first year it had to guess, so the
case can carry a deadline marked provisional and have it counted again once the year's
data arrives. A refusal would lose the case, which is worse than an honest provisional
date; a silently guessed date would be worse than both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

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


@dataclass(frozen=True, slots=True)
class Counted:
    """A moment some working days after another, and how sure the count is."""

    at: datetime
    provisional_year: int | None  # the first year counted without official data


class WorkingCalendar:
    """Answers 'is this a working day' and counts working days, in the bank's time zone."""

    def __init__(self, years: Mapping[int, YearDays], tz: ZoneInfo = SHANGHAI) -> None:
        self._years = dict(years)
        self.tz = tz

    @property
    def known_years(self) -> frozenset[int]:
        return frozenset(self._years)

    def update(self, other: WorkingCalendar) -> None:
        """Take another calendar's years (a reloaded calendar file): every service holding
        this calendar counts with them from now on."""
        self._years = dict(other._years)

    def knows(self, year: int) -> bool:
        return year in self._years

    def is_working_day(self, day: date) -> bool:
        """Official for known years; for others the plain week (a provisional answer)."""
        year = self._years.get(day.year)
        if year is not None:
            if day in year.makeup_workdays:
                return True
            if day in year.holidays:
                return False
        return day.weekday() < 5

    def is_statutory_holiday(self, day: date) -> bool:
        """A listed day off. Unknown years have none: that is the stricter reading for a
        legal period, which then ends on its calendar day."""
        year = self._years.get(day.year)
        return year is not None and day in year.holidays

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
        return self.deadline(start, days).at

    def deadline(self, start: datetime, days: int) -> Counted:
        """`add_working_days`, saying whether a year without data was counted in."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if days < 0:
            raise ValueError("days must not be negative")
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        # The days counted are those after the start, up to the due day.
        first = (local.date() + timedelta(days=1)).year if days else day.year + 1
        guessed = [y for y in range(first, day.year + 1) if y not in self._years]
        return Counted(datetime.combine(day, local.timetz()), guessed[0] if guessed else None)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]; negative when end is before start."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
