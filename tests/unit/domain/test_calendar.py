"""The working-day calendar: official days, make-up days, refusals, and its arithmetic."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.cases.calendar import SHANGHAI, WorkingCalendar, YearDays
from intake.calendar_source import (
    CalendarFileError,
    CalendarFileWatch,
    load_calendar,
    year_sources,
)
from tests.factories import at


def test_make_up_saturdays_are_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2026, 2, 14))  # Saturday before Spring Festival
    assert calendar.is_working_day(date(2026, 10, 10))  # Saturday after National Day


@pytest.mark.parametrize(
    "day",
    [date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 23)]  # Spring Festival
    + [date(2026, 10, d) for d in range(1, 8)],  # National Day
)
def test_statutory_holidays_are_off(calendar: WorkingCalendar, day: date) -> None:
    assert not calendar.is_working_day(day)


def test_plain_weekdays_and_weekends(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2026, 11, 27))  # Friday
    assert not calendar.is_working_day(date(2026, 11, 28))  # Saturday
    assert not calendar.is_working_day(date(2026, 11, 29))  # Sunday


def test_complaint_received_before_national_day(calendar: WorkingCalendar) -> None:
    due = calendar.add_working_days(at("2026-09-30 17:00"), 3)
    assert due == at("2026-10-10 17:00")
    assert due.tzinfo is not None


def test_friday_evening_before_a_weekend(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(at("2026-11-27 17:00"), 3) == at("2026-12-02 17:00")


def test_time_zone_is_the_banks(calendar: WorkingCalendar) -> None:
    # 23:30 UTC on Thursday is already Friday 07:30 in Shanghai: day one is Monday.
    utc = datetime.fromisoformat("2026-11-26T23:30:00+00:00")
    assert calendar.add_working_days(utc, 1) == at("2026-11-30 07:30")


def test_a_year_without_data_is_counted_provisionally_and_named(
    calendar: WorkingCalendar,
) -> None:
    counted = calendar.deadline(at("2026-12-28 10:00"), 5)
    # Weekdays on, weekends off: 29, 30, 31 December, then Friday 1 and Monday 4 January.
    assert counted.at == at("2027-01-04 10:00")
    assert counted.provisional_year == 2027
    assert not calendar.knows(2027)
    assert calendar.is_working_day(date(2027, 1, 1))  # a guess: the plain week
    assert not calendar.is_statutory_holiday(date(2027, 1, 1))  # unknown: none assumed


def test_a_count_inside_known_years_is_not_provisional(calendar: WorkingCalendar) -> None:
    assert calendar.deadline(at("2026-12-24 10:00"), 3).provisional_year is None  # 29 Dec
    # Counting no day at all guesses nothing, even at the very end of the year.
    assert calendar.deadline(at("2026-12-31 23:00"), 0).provisional_year is None
    # One working day from New Year's Eve already lies in the unknown year.
    assert calendar.deadline(at("2026-12-31 10:00"), 1).provisional_year == 2027


def test_the_sample_file_supplies_2027(calendar_2027: WorkingCalendar) -> None:
    assert calendar_2027.deadline(at("2026-12-28 10:00"), 5).provisional_year is None
    assert calendar_2027.add_working_days(at("2026-12-28 10:00"), 5) == at("2027-01-05 10:00")
    assert calendar_2027.is_working_day(date(2027, 2, 20))  # listed make-up Saturday
    assert not calendar_2027.is_working_day(date(2027, 10, 4))
    # The library's years are untouched by the file.
    assert calendar_2027.add_working_days(at("2026-09-30 17:00"), 3) == at("2026-10-10 17:00")


def test_a_file_overrides_single_days_of_a_known_year(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    path.write_text('[2026]\nholidays = ["2026-12-01"]\nmakeup_workdays = ["2026-10-03"]\n')
    cal = load_calendar(path, SHANGHAI)
    assert not cal.is_working_day(date(2026, 12, 1))  # a Tuesday, declared off
    assert cal.is_working_day(date(2026, 10, 3))  # a National Day Saturday, declared on
    assert not cal.is_working_day(date(2026, 10, 2))  # the library's other days stay


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[2027]\nholidays = ["2027-13-01"]\n', "bad date"),
        ('[2027]\nholidays = ["2028-01-01"]\n', "listed under"),
        ('[2027]\nholidays = ["2027-01-01"]\nmakeup_workdays = ["2027-01-01"]\n', "both"),
        ("[2027]\nvacations = []\n", "unknown keys"),
        ("year = 2027\n", "expected a"),
        ("[2027\n", "cannot read"),
    ],
)
def test_a_broken_calendar_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "cal.toml"
    path.write_text(content)
    with pytest.raises(CalendarFileError, match=message):
        load_calendar(path, SHANGHAI)


def test_naive_moments_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        calendar.add_working_days(datetime(2026, 11, 2, 10, 0), 1)


# -- properties ---------------------------------------------------------------------------

DAYS_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 11, 30))
TIMES = st.times().map(lambda t: t.replace(microsecond=0))


@given(day=DAYS_2026, clock=TIMES, n=st.integers(min_value=0, max_value=15))
def test_due_is_n_working_days_later_at_the_same_time(day: date, clock: time, n: int) -> None:
    cal = load_calendar(None, SHANGHAI)
    received = datetime.combine(day, clock, SHANGHAI)
    due = cal.add_working_days(received, n)
    assert due.timetz() == received.timetz()
    assert cal.working_days_between(day, due.date()) == n
    if n > 0:
        assert cal.is_working_day(due.date())


@given(day=DAYS_2026, n=st.integers(0, 10), m=st.integers(0, 10))
def test_adding_working_days_composes(day: date, n: int, m: int) -> None:
    cal = load_calendar(None, SHANGHAI)
    start = datetime.combine(day, time(9), SHANGHAI)
    assert cal.add_working_days(cal.add_working_days(start, n), m) == cal.add_working_days(
        start, n + m
    )


@given(a=DAYS_2026, b=DAYS_2026, n=st.integers(1, 10))
def test_a_later_receipt_never_falls_due_earlier(a: date, b: date, n: int) -> None:
    cal = load_calendar(None, SHANGHAI)
    early, late = sorted([a, b])
    noon = time(12)
    assert cal.add_working_days(datetime.combine(early, noon, SHANGHAI), n) <= (
        cal.add_working_days(datetime.combine(late, noon, SHANGHAI), n)
    )


@given(
    holidays=st.sets(st.dates(date(2030, 1, 1), date(2030, 12, 31)), max_size=40),
    day=st.dates(date(2030, 1, 1), date(2030, 12, 20)),
)
def test_working_day_rule_matches_its_definition(holidays: set[date], day: date) -> None:
    workdays = {d for d in holidays if d.weekday() == 5 and d.day % 2}  # some Saturdays
    cal = WorkingCalendar({2030: YearDays(frozenset(holidays - workdays), frozenset(workdays))})
    expected = day in workdays or (day not in holidays and day.weekday() < 5)
    assert cal.is_working_day(day) == expected


def test_counting_backwards_is_negative(calendar: WorkingCalendar) -> None:
    start, end = date(2026, 9, 30), date(2026, 10, 10)
    assert calendar.working_days_between(start, end) == 3
    assert calendar.working_days_between(end, start) == -3
    assert calendar.next_working_day(start) == start + timedelta(days=8)


def test_a_reloaded_calendar_file_is_used_at_once(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    cal = load_calendar(None, SHANGHAI)
    watch = CalendarFileWatch(cal, path)
    assert watch.refresh() is False  # no file yet
    path.write_text('[2027]\nholidays = ["2027-01-01"]\n')
    assert watch.refresh() is True
    assert cal.knows(2027) and not cal.is_working_day(date(2027, 1, 1))
    assert watch.refresh() is False  # unchanged since
    path.write_text("[2027\n")  # broken: the running calendar keeps what it had
    os.utime(path, (1, 1))
    assert watch.refresh() is False
    assert cal.knows(2027)


def test_year_sources_say_library_or_file(tmp_path: Path) -> None:
    path = tmp_path / "cal.toml"
    path.write_text('[2026]\nholidays = ["2026-12-01"]\n[2027]\nholidays = ["2027-01-01"]\n')
    sources = year_sources(path)
    assert sources[2004] == "library"
    assert sources[2026] == "library+file"
    assert sources[2027] == "file"
    assert 2027 not in year_sources(None)
