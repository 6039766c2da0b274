"""Builds the working-day calendar from the chinesecalendar library and the admin's file.

The calendar file (TOML) adds years the library does not know yet and overrides single
days of years it does. Format, one table per year:

    [2027]
    holidays = ["2027-01-01", "2027-02-06", ...]     # days off, weekdays or weekends
    makeup_workdays = ["2027-02-20", ...]             # weekend days that are working days

A year present in the file is complete for the days it lists; the remaining days follow
the Monday-to-Friday week. For a year the library knows, listed days replace the
library's verdict for those days only.
"""

from __future__ import annotations

import logging
import tomllib
from collections import defaultdict
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from chinese_calendar import constants

from core.cases.calendar import WorkingCalendar, YearDays
from intake.config import Settings

log = logging.getLogger("intake.calendar")


class CalendarFileError(ValueError):
    """The calendar file is not in the documented format."""


class CalendarFileWatch:
    """Reloads the calendar file into the running calendar when the file changes, so an
    administrator's new year is used without a restart."""

    def __init__(self, calendar: WorkingCalendar, path: Path | None) -> None:
        self._calendar = calendar
        self._path = path
        self._seen = self._stamp()

    def _stamp(self) -> float | None:
        try:
            return self._path.stat().st_mtime if self._path else None
        except OSError:
            return None

    def refresh(self) -> bool:
        """Reload if the file changed since it was last read; whether it was."""
        stamp = self._stamp()
        if self._path is None or stamp is None or stamp == self._seen:
            return False
        try:
            fresh = load_calendar(self._path, self._calendar.tz)
        except CalendarFileError as problem:
            log.error("calendar file not reloaded: %s", problem)
            return False
        self._seen = stamp
        self._calendar.update(fresh)
        log.info("calendar file reloaded", extra={"years": sorted(fresh.known_years)[-3:]})
        return True


def year_sources(path: Path | None) -> dict[int, str]:
    """Where each known year's data comes from: "library", "file", or "library+file"
    (a file correcting days of a year the library knows)."""
    sources = dict.fromkeys(_library_years(), "library")
    for year in _read_file(path) if path is not None else {}:
        sources[year] = "library+file" if year in sources else "file"
    return dict(sorted(sources.items()))


def load_calendar(path: Path | None, tz: ZoneInfo) -> WorkingCalendar:
    years = _library_years()
    if path is not None:
        for year, (holidays, workdays) in _read_file(path).items():
            base = years.get(year, YearDays(frozenset(), frozenset()))
            years[year] = YearDays(
                holidays=(base.holidays - workdays) | holidays,
                makeup_workdays=(base.makeup_workdays - holidays) | workdays,
            )
    return WorkingCalendar(years, tz)


def _library_years() -> dict[int, YearDays]:
    holidays: dict[int, set[date]] = defaultdict(set)
    workdays: dict[int, set[date]] = defaultdict(set)
    for day in constants.holidays:
        holidays[day.year].add(day)
    for day in constants.workdays:
        workdays[day.year].add(day)
    # The library covers every day of each year it lists, even a year without exceptions.
    first, last = min(holidays), max(holidays)
    return {
        year: YearDays(frozenset(holidays[year]), frozenset(workdays[year]))
        for year in range(first, last + 1)
    }


def _read_file(path: Path) -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalendarFileError(f"cannot read calendar file {path}: {exc}") from exc
    result = {}
    for key, table in data.items():
        if not (key.isdigit() and isinstance(table, dict)):
            raise CalendarFileError(f"{path}: expected a [YEAR] table, found {key!r}")
        year = int(key)
        unknown = set(table) - {"holidays", "makeup_workdays"}
        if unknown:
            raise CalendarFileError(f"{path}: [{year}] has unknown keys {sorted(unknown)}")
        holidays = _dates(path, year, table.get("holidays", []))
        workdays = _dates(path, year, table.get("makeup_workdays", []))
        if holidays & workdays:
            raise CalendarFileError(
                f"{path}: [{year}] lists days as both holiday and workday: "
                f"{sorted(d.isoformat() for d in holidays & workdays)}"
            )
        result[year] = (holidays, workdays)
    return result


def _dates(path: Path, year: int, values: object) -> frozenset[date]:
    if not isinstance(values, list):
        raise CalendarFileError(f"{path}: [{year}] expects lists of dates")
    days = set()
    for value in values:
        day = value if isinstance(value, date) else _parse(path, year, value)
        if day.year != year:
            raise CalendarFileError(f"{path}: {day} is listed under [{year}]")
        days.add(day)
    return frozenset(days)


def _parse(path: Path, year: int, value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CalendarFileError(f"{path}: [{year}] has a bad date {value!r}") from exc


def build_calendar(settings: Settings) -> WorkingCalendar:
    """The working-day calendar the settings name: the library's years and the file's."""
    return load_calendar(settings.intake_calendar_file, ZoneInfo(settings.intake_timezone))
