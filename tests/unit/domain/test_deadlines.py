"""The bank's deadline and the legal ceiling: counting, provisional years, recounting,
and the Civil Code's rule for a period ending on a holiday."""

from __future__ import annotations

import pytest

from core.cases.calendar import WorkingCalendar
from core.cases.deadlines import DeadlinePolicy, later_deadline, legal_deadline, recounted
from core.cases.values import LEGAL_DAYS, CaseType
from core.errors import DomainError
from tests.factories import at, new_case


def test_the_legal_ceiling_moves_past_a_holiday(calendar: WorkingCalendar) -> None:
    # 16 September + 15 days is 1 October, National Day: the period ends on 8 October.
    assert legal_deadline(calendar, at("2026-09-16 10:00"), LEGAL_DAYS) == at("2026-10-08 10:00")
    # A plain weekend is no statutory holiday: the calendar day stands.
    assert legal_deadline(calendar, at("2026-11-13 10:00"), LEGAL_DAYS) == at("2026-11-28 10:00")


def test_the_legal_ceiling_stays_on_its_day_when_holidays_are_unknown(
    calendar: WorkingCalendar, calendar_2027: WorkingCalendar
) -> None:
    received = at("2026-12-17 10:00")  # + 15 days = 1 January 2027
    assert legal_deadline(calendar, received, LEGAL_DAYS) == at("2027-01-01 10:00")
    # With the 2027 file, 1-3 January are holidays: the period ends on the 4th.
    assert legal_deadline(calendar_2027, received, LEGAL_DAYS) == at("2027-01-04 10:00")


def test_a_provisional_deadline_keeps_how_it_was_counted(calendar: WorkingCalendar) -> None:
    due = DeadlinePolicy().due(calendar, CaseType.COMPLAINT, at("2026-12-29 10:00"))
    assert due.at == at("2027-01-01 10:00")
    assert due.provisional_year == 2027
    assert (due.basis.counted_from, due.basis.working_days) == (at("2026-12-29 10:00"), 3)


def test_recounting_waits_for_the_year_then_counts_from_the_same_start(
    calendar: WorkingCalendar, calendar_2027: WorkingCalendar
) -> None:
    due = DeadlinePolicy().due(calendar, CaseType.COMPLAINT, at("2026-12-29 10:00"))
    case = new_case(
        received_at=at("2026-12-29 10:00"),
        due_at=due.at,
        due_basis=due.basis,
        legal_due_at=legal_deadline(calendar, at("2026-12-29 10:00"), LEGAL_DAYS),
    )
    assert recounted(calendar, case) is None  # 2027 still unknown
    again = recounted(calendar_2027, case)
    assert again is not None
    deadline, legal = again
    assert deadline.at == at("2027-01-04 10:00") and deadline.provisional_year is None
    assert legal == at("2027-01-13 10:00")
    case.recount_deadline(
        due_at=deadline.at,
        due_basis=deadline.basis,
        legal_due_at=legal,
        actor="system:calendar",
        now=at("2027-01-02 09:00"),
    )
    assert case.due_at == at("2027-01-04 10:00") and case.due_provisional_year is None
    event = case.pending_events[-1]
    assert event.action == "deadline_recounted"
    assert event.before["due_basis"]["provisional_year"] == 2027
    assert recounted(calendar_2027, case) is None  # nothing left to count: once
    with pytest.raises(DomainError, match="no provisional deadline"):
        case.recount_deadline(
            due_at=deadline.at,
            due_basis=deadline.basis,
            legal_due_at=legal,
            actor="system:calendar",
            now=at("2027-01-02 09:00"),
        )


def test_a_later_deadline_counts_on_from_the_original_start(
    calendar: WorkingCalendar, calendar_2027: WorkingCalendar
) -> None:
    due = DeadlinePolicy().due(calendar, CaseType.COMPLAINT, at("2026-12-29 10:00"))
    case = new_case(received_at=at("2026-12-29 10:00"), due_at=due.at, due_basis=due.basis)
    later = later_deadline(calendar, case, 2)
    assert (later.basis.counted_from, later.basis.working_days) == (at("2026-12-29 10:00"), 5)
    assert later.at == at("2027-01-05 10:00") and later.provisional_year == 2027
    # The same as counting five from the start, which recounting will do.
    assert later_deadline(calendar_2027, case, 2).at == at("2027-01-06 10:00")
