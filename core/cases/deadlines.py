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

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.cases.values import LEGAL_MAX_DAYS, LEGAL_SENIOR_MAX_DAYS, CaseType, DueBasis


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


def furthest_due(case: Case, senior_approval: bool) -> datetime:
    """The latest the bank's deadline may be put: the legal ceiling as it stands, or as far
    as an extension with this approval may take it (`Case.extend`: LEGAL_MAX_DAYS calendar
    days after receipt, LEGAL_SENIOR_MAX_DAYS with senior approval)."""
    allowed = LEGAL_SENIOR_MAX_DAYS if senior_approval else LEGAL_MAX_DAYS
    return max(case.legal_due_at, case.received_at + timedelta(days=allowed))


def longest_extension(
    calendar: WorkingCalendar, case: Case, senior_approval: bool
) -> tuple[int, Deadline | None]:
    """The most working days the case's deadline may be pushed out with this approval,
    and the deadline that gives (0 and None: none at all)."""
    limit = furthest_due(case, senior_approval)
    most, longest = 0, None
    # Each working day more ends at least a day later, so this stops within the limit's days.
    while (candidate := later_deadline(calendar, case, most + 1)).at <= limit:
        most, longest = most + 1, candidate
    return most, longest


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
