"""When the scheduler is to look at a case again, as far as the case alone tells.

Storage keeps one moment per case (`cases.chase_at`) and the sweeps read only the cases
whose moment has come, by an index, instead of every open or resolved case each run.
Whenever a case is stored, the moment is set from the case alone, without the calendar:
early enough that nothing can fall due before it. The sweep that then reads the case
sets the exact next moment (`rules.next_alert_at`, the survey's reminder or expiry).
A case that has nothing left for the scheduler to do has none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.cases.case import Case
from core.cases.values import CaseStatus

# A survey is recalled after one working day, and a working day is at least a calendar
# day: nothing about a resolved case's survey is due sooner than this.
SURVEY_QUIET = timedelta(days=1)


# Where a case stands in a sweep's order: its moment, then its number. A sweep goes on
# after the last place it read, so a case it left due (waiting for business hours) is
# not read twice in one run.
Place = tuple[datetime, str]


def first_look(case: Case) -> datetime | None:
    """The moment to look at the case as stored now: an open case at once (its next
    deadline alert needs the calendar to tell); a resolved one when its survey may need
    a reminder; none for a case that is over."""
    if case.status.is_open:
        return case.received_at  # always in the past: the next sweep reads it
    if case.status is CaseStatus.RESOLVED and case.resolved_at is not None:
        return case.resolved_at + SURVEY_QUIET
    return None
