"""The moment a case is to be read again (`next_alert_at`) never lets an alert slip.

A sweep that reads a case only at its `chase_at` must raise the same alerts, at the same
moments, as one that reads every case every time. Cases here lie on a 20-minute grid
around the Qingming break and a weekend, so a sweep every 20 minutes sees every moment
an alert can fall due; the grid sweep is the reference.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from core.cases.calendar import WorkingCalendar
from core.cases.case import Case
from core.chasing.rules import BusinessHours, due_alerts, next_alert_at
from core.chasing.watch import first_look
from tests.factories import at, new_case

HOURS = BusinessHours()
STEP = timedelta(minutes=20)
START = at("2026-03-30 00:00")


def grid_cases(count: int) -> list[Case]:
    rng = random.Random(17)
    cases = []
    for n in range(count):
        received = START + STEP * rng.randrange(6 * 72)  # within the first six days
        due = received + STEP * rng.randrange(1, 12 * 72)  # days off among them
        legal = received + timedelta(days=rng.choice((5, 8, 15)))
        case = new_case(
            f"CP-20260330-{n:04d}", received_at=received, due_at=due, legal_due_at=legal
        )
        if rng.random() < 0.5:
            case.assignee = "7"
        cases.append(case)
    return cases


def raised_over_time(
    case: Case, calendar: WorkingCalendar, *, watched: bool
) -> list[tuple[object, ...]]:
    """(when, kind, deadline) of each alert as a sweep every STEP would first raise it:
    reading the case each time, or only once its moment has come."""
    raised: dict[tuple[object, ...], datetime] = {}
    look: datetime | None = first_look(case)
    now = case.received_at  # the first sweep after filing
    while now < START + timedelta(days=16):
        if not watched or (look is not None and look <= now):
            for alert in due_alerts(case, now, calendar, HOURS):
                raised.setdefault((alert.kind, alert.deadline), now)
            look = next_alert_at(case, now, calendar, HOURS)
        now += STEP
    return sorted(((when, *key) for key, when in raised.items()), key=str)


@pytest.mark.parametrize("case", grid_cases(30), ids=lambda c: c.number)
def test_reading_a_case_only_at_its_moment_raises_every_alert_when_due(
    case: Case, calendar: WorkingCalendar
) -> None:
    assert raised_over_time(case, calendar, watched=True) == raised_over_time(
        case, calendar, watched=False
    )


def test_a_case_that_is_over_has_no_moment(calendar: WorkingCalendar) -> None:
    case = new_case()
    case.status = case.status.__class__("closed")
    assert first_look(case) is None
    assert next_alert_at(case, at("2026-11-03 10:00"), calendar, HOURS) is None
