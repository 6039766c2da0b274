"""How long the bank gives itself for each kind of case, and the legal ceiling.

The bank's deadline counts working days and keeps how it was counted (`DueBasis`), so a
deadline counted through a year without official calendar data can be counted again
once that year is known. The legal ceiling counts calendar days (the 2020 measures) and,
by the Civil Code (art. 203), a period whose last day is a statutory holiday ends on the
first day after the holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.calendar import WorkingCalendar
from core.case import Case, CaseType, DueBasis


@dataclass(frozen=True, slots=True)
class Deadline:
    """A bank deadline and how it was counted."""

    at: datetime
    basis: DueBasis

    @property
    def provisional_year(self) -> int | None:
        return self.basis.provisional_year


def count_deadline(calendar: WorkingCalendar, start: datetime, working_days: int) -> Deadline:
    counted = calendar.deadline(start, working_days)
    return Deadline(counted.at, DueBasis(start, working_days, counted.provisional_year))


def later_deadline(calendar: WorkingCalendar, case: Case, working_days: int) -> Deadline:
    """The case's deadline pushed out by `working_days`, counted from the same start so
    that a provisional deadline stays recountable (counting composes: n then m working
    days is n + m)."""
    basis = case.due_basis
    if basis is None:
        return count_deadline(calendar, case.due_at, working_days)
    return count_deadline(calendar, basis.counted_from, basis.working_days + working_days)


def recounted(calendar: WorkingCalendar, case: Case) -> tuple[Deadline, datetime] | None:
    """The case's provisional deadline and its legal ceiling counted again with the
    calendar as it is now; None while the year it guessed is still unknown."""
    basis = case.due_basis
    if basis is None or basis.provisional_year is None:
        return None
    if not calendar.knows(basis.provisional_year):
        return None
    deadline = count_deadline(calendar, basis.counted_from, basis.working_days)
    return deadline, legal_deadline(calendar, case.received_at, case.legal_days)


def legal_deadline(calendar: WorkingCalendar, received_at: datetime, days: int) -> datetime:
    """`days` calendar days after receipt; a last day on a statutory holiday moves to the
    first day after the holiday. Where a year's holidays are unknown the calendar day
    stands: the stricter reading."""
    end = (received_at + timedelta(days=days)).astimezone(calendar.tz)
    while calendar.is_statutory_holiday(end.date()):
        end += timedelta(days=1)
    return end


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """The bank's own targets in working days; the legal ceiling is the regulation's."""

    complaint_days: int = 3
    suggestion_days: int = 5
    praise_days: int = 5

    def working_days(self, case_type: CaseType) -> int:
        return {
            CaseType.COMPLAINT: self.complaint_days,
            CaseType.SUGGESTION: self.suggestion_days,
            CaseType.PRAISE: self.praise_days,
        }[case_type]

    def due(self, calendar: WorkingCalendar, case_type: CaseType, start: datetime) -> Deadline:
        return count_deadline(calendar, start, self.working_days(case_type))
